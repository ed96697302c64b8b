package handlers

import (
	"context"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Revocations remembers signed-out session ids until they would have
// expired anyway, so a copied cookie stops working at sign-out. Instances
// behind one load balancer share them (Config.Revocations); alone, the UI
// keeps them in memory.
type Revocations interface {
	RevokeSession(ctx context.Context, id string, until time.Time) error
	SessionRevoked(ctx context.Context, id string) (bool, error)
}

// revoke refuses session id from now on, on every instance sharing the
// record; it waits at most APITimeout. Its error is a *storeDown: the
// sign-out was not recorded.
func (a *App) revoke(c echo.Context, id string, until time.Time) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), a.cfg.APITimeout)
	defer cancel()
	if err := a.revoked.RevokeSession(ctx, id, until); err != nil {
		err = a.storeFailed(ctx, c, "record the sign-out", err)
		if down, ok := err.(*storeDown); ok {
			down.signOut = true
		}
		return err
	}
	return nil
}

// revocations keeps revocations in memory: one instance.
type revocations struct {
	mu  sync.Mutex
	ids map[string]time.Time // id -> when it can be forgotten
	now func() time.Time
}

func newRevocations(now func() time.Time) *revocations {
	return &revocations{ids: map[string]time.Time{}, now: now}
}

func (r *revocations) RevokeSession(_ context.Context, id string, until time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for k, t := range r.ids {
		if now.After(t) {
			delete(r.ids, k)
		}
	}
	r.ids[id] = until
	return nil
}

func (r *revocations) SessionRevoked(_ context.Context, id string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.ids[id]
	return ok, nil
}
