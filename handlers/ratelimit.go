package handlers

import (
	"sync"
	"time"
)

// loginLimiter counts failed sign-ins per client address in a fixed window
// that starts at the first failure.
type loginLimiter struct {
	limit LoginLimit
	now   func() time.Time
	mu    sync.Mutex
	seen  map[string]*loginWindow
}

type loginWindow struct {
	start    time.Time
	failures int
}

func newLoginLimiter(limit LoginLimit, now func() time.Time) *loginLimiter {
	return &loginLimiter{limit: limit, now: now, seen: map[string]*loginWindow{}}
}

// blocked returns how long the address must wait, or 0.
func (l *loginLimiter) blocked(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.seen[addr]
	if w == nil {
		return 0
	}
	left := w.start.Add(l.limit.Window).Sub(l.now())
	if left <= 0 {
		delete(l.seen, addr)
		return 0
	}
	if w.failures >= l.limit.Failures {
		return left
	}
	return 0
}

func (l *loginLimiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.seen) > 10000 {
		// Forget finished windows so a flood of addresses cannot grow the map.
		for k, w := range l.seen {
			if now.Sub(w.start) > l.limit.Window {
				delete(l.seen, k)
			}
		}
	}
	w := l.seen[addr]
	if w == nil || now.Sub(w.start) > l.limit.Window {
		w = &loginWindow{start: now}
		l.seen[addr] = w
	}
	w.failures++
}

func (l *loginLimiter) reset(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.seen, addr)
}
