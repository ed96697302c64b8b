package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"teamsecrets/localapi"
	"teamsecrets/localapi/store"
)

// readyTimeout bounds one readiness check: a store slower than this is
// not ready to serve.
const readyTimeout = 2 * time.Second

// readiness is what /readyz asks: the embedded store.
type readiness interface {
	Ready(ctx context.Context) error
}

// readyHandler answers GET /readyz: 200 "ready" when st answers, its
// schema is current and this process has its master key, else 503 with a short reason (fixed words, never the
// store's error: the log has that). Each probe asks the store afresh;
// probes arriving while a check runs share its answer, so any number of
// load balancers cost at most one query at a time. With st nil (the UI
// on --api-url, no store of its own) it always answers ready: the remote
// API is not this instance's to judge, and taking every instance out of
// rotation because of it would not bring it back (the UI shows the API's
// failures itself).
func readyHandler(st readiness) http.Handler {
	rc := &readyCheck{store: st}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if reason := rc.check(); reason != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "not ready: "+reason+"\n")
			return
		}
		io.WriteString(w, "ready\n")
	})
}

type readyCheck struct {
	store  readiness
	flight singleflight.Group

	mu       sync.Mutex
	reported string // the last reason logged; "" while ready
}

// check asks the store (joining a check under way), and returns why it is
// not ready, or "". A probe waits for at most readyTimeout (and a little),
// even when the check under way is stuck where its context cannot reach
// (a system call on a hung disk).
func (rc *readyCheck) check() string {
	if rc.store == nil {
		return ""
	}
	ch := rc.flight.DoChan("ready", func() (any, error) {
		ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
		defer cancel()
		err := rc.store.Ready(ctx)
		reason := ""
		switch {
		case err == nil:
		case errors.Is(err, store.ErrSchemaNotCurrent):
			reason = "the store's schema is not the one this version uses"
		case errors.Is(err, localapi.ErrMasterKeyNotHeld):
			reason = "this instance does not have the store's master key"
		case ctx.Err() != nil:
			reason = "the store did not answer within " + readyTimeout.String()
		default:
			reason = "the store does not answer"
		}
		rc.log(reason, err)
		return reason, nil
	})
	timer := time.NewTimer(readyTimeout + 100*time.Millisecond)
	defer timer.Stop()
	select {
	case res := <-ch:
		return res.Val.(string)
	case <-timer.C:
		return "the store did not answer within " + readyTimeout.String()
	}
}

// log says when readiness changes (not at every probe: load balancers ask
// every few seconds).
func (rc *readyCheck) log(reason string, err error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if reason == rc.reported {
		return
	}
	if reason == "" {
		slog.Info("readyz: ready again")
	} else {
		slog.Warn("readyz: not ready", "reason", reason, "err", err)
	}
	rc.reported = reason
}
