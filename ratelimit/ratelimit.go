// Package ratelimit limits failed attempts per client address: sign-ins
// with a wrong API key in the UI, failed API-key authentications in the
// local API.
//
// An attempt is counted when it begins, before the credential is checked, so
// attempts sent at once cannot all slip through while the check is slow. It
// ends in one of two ways: Failed keeps it counted; Succeeded gives back that
// one attempt and nothing else, so a correct credential between wrong ones
// does not wipe out the wrong ones.
//
//	attempt, wait := failures.Begin(ctx, addr)
//	if attempt == nil {
//		// refuse: 429 with Retry-After: wait
//	}
//	if ok, err := check(key); err == nil && !ok {
//		attempt.Failed()
//	} else {
//		attempt.Succeeded() // accepted, or not judged at all (backend down)
//	}
//
// Memory is bounded: at most MaxAddrs addresses are tracked, and when that
// many have failed within their window, further addresses share a single
// count, so a flood of addresses is limited as one client.
//
// Several instances behind a load balancer count failures together through
// a Shared counter (a table in the database they share): Begin also refuses
// an address that has used up its failures on any instance, and Failed adds
// to the shared count. Attempts in flight stay counted per instance.
package ratelimit

import (
	"container/list"
	"context"
	"net/netip"
	"sync"
	"time"
)

// Config sets the limit.
type Config struct {
	Limit    int              // attempts per address within Window: failed ones plus those in flight
	Window   time.Duration    // counted from an address's first attempt
	MaxAddrs int              // addresses tracked at once; 10,000 when 0
	Now      func() time.Time // for tests; time.Now when nil
	// Shared, when set, counts failures across instances under Scope (which
	// limiter this is: "signin", "apikey").
	Shared Shared
	Scope  string
}

// Failures counts attempts per address. Its methods are safe for concurrent
// use.
type Failures struct {
	cfg      Config
	mu       sync.Mutex
	addrs    map[string]*entry
	order    *list.List // of *entry, oldest window first
	overflow *entry     // shared by addresses beyond MaxAddrs
}

// entry is one address's window.
type entry struct {
	addr    string
	start   time.Time
	window  int // how many windows this entry has started, the first being 0
	failed  int
	pending int           // begun, not yet ended: in this window or carried from the last
	carried int           // of pending, those begun in the last window
	changed chan struct{} // closed when an attempt ends; nil until someone waits
	elem    *list.Element // nil for the overflow entry
	dropped bool          // removed from the table
}

// New returns an empty counter.
func New(cfg Config) *Failures {
	if cfg.MaxAddrs <= 0 {
		cfg.MaxAddrs = 10000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Limit <= 0 {
		cfg.Limit = 1
	}
	return &Failures{cfg: cfg, addrs: map[string]*entry{}, order: list.New()}
}

// Attempt is one counted attempt. End it with Failed or Succeeded. An
// attempt still in flight when its window ends counts in the next window
// too (a slow check must not escape the count), and is forgotten after that
// (so an attempt never ended does not hold its place for ever).
type Attempt struct {
	f      *Failures
	e      *entry
	key    string // the address's counting key (see clientKey)
	window int
	ended  bool
}

// Begin counts an attempt from addr. It returns the attempt, or nil and how
// long addr must wait when it has used up its attempts.
//
// When only attempts still in flight stand in the way (several correct
// sign-ins at once from one office), Begin waits for them to end rather than
// refuse, until ctx is done; then it returns nil and one second.
func (f *Failures) Begin(ctx context.Context, addr string) (*Attempt, time.Duration) {
	addr = clientKey(addr)
	a, wait := f.begin(ctx, addr)
	if a == nil || f.cfg.Shared == nil {
		return a, wait
	}
	if wait, refused := f.sharedRefuses(ctx, addr); refused {
		a.end(false)
		return nil, wait
	}
	return a, 0
}

func (f *Failures) begin(ctx context.Context, addr string) (*Attempt, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		now := f.cfg.Now()
		e := f.entry(addr, now)
		if e.failed >= f.cfg.Limit {
			return nil, max(e.start.Add(f.cfg.Window).Sub(now), time.Second)
		}
		if e.failed+e.pending < f.cfg.Limit {
			e.pending++
			return &Attempt{f: f, e: e, key: addr, window: e.window}, 0
		}
		if e.changed == nil {
			e.changed = make(chan struct{})
		}
		changed := e.changed
		f.mu.Unlock()
		select {
		case <-changed:
			f.mu.Lock()
		case <-ctx.Done():
			f.mu.Lock()
			return nil, time.Second
		}
	}
}

// Failed ends the attempt as a failure: it stays counted for its window.
// It reports whether this failure used up the address's attempts, so the
// caller can say once that the address is now refused.
func (a *Attempt) Failed() (limitReached bool) {
	limitReached = a.end(true)
	if a.f.cfg.Shared != nil {
		limitReached = a.f.sharedFailed(a.key)
	}
	return limitReached
}

// Succeeded ends the attempt and gives it back; other attempts keep their
// count. Call it too when the attempt proved nothing (the backend could not
// answer).
func (a *Attempt) Succeeded() { a.end(false) }

func (a *Attempt) end(failed bool) (limitReached bool) {
	f := a.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if a.ended {
		return false
	}
	a.ended = true
	e := a.e
	switch {
	case e.dropped || a.window < e.window-1:
		return false // forgotten with its window
	case a.window == e.window-1:
		e.carried--
	}
	e.pending--
	if failed {
		e.failed++
		limitReached = e.failed == f.cfg.Limit
	}
	if e.changed != nil {
		close(e.changed)
		e.changed = nil
	}
	if e.pending == 0 && e.failed == 0 && e.elem != nil {
		f.remove(e)
	}
	return limitReached
}

// entry returns addr's current window, starting a new one when the old one
// is over. Called with f.mu held.
func (f *Failures) entry(addr string, now time.Time) *entry {
	f.expire(now)
	if e := f.addrs[addr]; e != nil {
		return e
	}
	if len(f.addrs) >= f.cfg.MaxAddrs {
		if f.overflow == nil {
			f.overflow = &entry{start: now}
		}
		if !now.Before(f.overflow.start.Add(f.cfg.Window)) {
			f.overflow.next(now)
		}
		return f.overflow
	}
	e := &entry{addr: addr, start: now}
	e.elem = f.order.PushBack(e)
	f.addrs[addr] = e
	return e
}

// expire ends the windows that are over, oldest first: entries with
// attempts in flight start a new window, the others are dropped. Called with
// f.mu held.
func (f *Failures) expire(now time.Time) {
	for {
		front := f.order.Front()
		if front == nil {
			return
		}
		e := front.Value.(*entry)
		if now.Before(e.start.Add(f.cfg.Window)) {
			return
		}
		e.next(now)
		if e.pending == 0 {
			f.remove(e)
			continue
		}
		f.order.MoveToBack(front)
	}
}

// next starts a new window: no failures; attempts begun in the last window
// and still in flight are carried, older ones forgotten.
func (e *entry) next(now time.Time) {
	e.pending -= e.carried
	e.carried = e.pending
	e.start, e.failed = now, 0
	e.window++
	if e.changed != nil {
		close(e.changed)
		e.changed = nil
	}
}

func (f *Failures) remove(e *entry) {
	f.order.Remove(e.elem)
	e.elem = nil
	e.dropped = true
	delete(f.addrs, e.addr)
}

// clientKey is what an address is counted under: an IPv4 address itself,
// an IPv6 address its /64 network. One host gets a whole /64 as easily as
// one address, so counting IPv6 addresses one by one would give it 2^64
// times the limit.
func clientKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil || !ip.Is6() || ip.Is4In6() {
		return addr
	}
	p, err := ip.Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}
