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

// revoke refuses session id from now on. When the shared record cannot be
// written, this instance's cookie is still cleared; the failure is logged,
// since a copy of the cookie may then work elsewhere until it expires.
func (a *App) revoke(c echo.Context, id string, until time.Time) {
	if err := a.revoked.RevokeSession(c.Request().Context(), id, until); err != nil {
		a.log.ErrorContext(c.Request().Context(), "session revocation not recorded; the cookie is cleared here only", "err", err)
	}
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
