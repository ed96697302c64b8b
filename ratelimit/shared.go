package ratelimit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Shared counts failures per address across instances: a store every
// instance reaches (the PostgreSQL backend implements it). Windows are
// fixed: one starts at an address's first failure and lasts window.
type Shared interface {
	// Failures is how many failures key has in its current window under
	// scope, and when that window ends (0 and zero time: none).
	Failures(ctx context.Context, scope, key string) (n int, until time.Time, err error)
	// AddFailure counts one failure of key, starting a window of length
	// window when none is current; it returns the count in the window.
	AddFailure(ctx context.Context, scope, key string, window time.Duration) (n int, err error)
}

// sharedTimeout bounds one call to the shared counter: a slow database must
// not hold a sign-in or an API request for long.
const sharedTimeout = 2 * time.Second

// sharedRefuses reports whether the shared count refuses addr, and for how
// long. When the counter cannot answer, the local count alone decides (the
// request itself needs the same database, so it fails anyway when the
// database is down); that is logged at most once a minute.
func (f *Failures) sharedRefuses(ctx context.Context, key string) (time.Duration, bool) {
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	n, until, err := f.cfg.Shared.Failures(ctx, f.cfg.Scope, key)
	if err != nil {
		f.sharedFailedToAnswer(err)
		return 0, false
	}
	if n < f.cfg.Limit {
		return 0, false
	}
	return max(until.Sub(f.cfg.Now()), time.Second), true
}

// sharedFailed adds a failure of key to the shared count and reports
// whether it used up the address's attempts.
func (f *Failures) sharedFailed(key string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	n, err := f.cfg.Shared.AddFailure(ctx, f.cfg.Scope, key, f.cfg.Window)
	if err != nil {
		f.sharedFailedToAnswer(err)
		return false
	}
	return n == f.cfg.Limit
}

var lastSharedError atomic.Int64 // unix seconds of the last logged failure

func (f *Failures) sharedFailedToAnswer(err error) {
	now := time.Now().Unix()
	last := lastSharedError.Load()
	if now-last < 60 || !lastSharedError.CompareAndSwap(last, now) {
		return
	}
	slog.Warn("rate limit: the shared failure count could not answer; counting on this instance only", "scope", f.cfg.Scope, "err", err)
}
