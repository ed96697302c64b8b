package store

import (
	"context"
	"time"
)

// Shared is the state that instances serving one database must agree on,
// beyond teams, keys and secrets: signed-out sessions, and failed
// authentications per client address. A backend several processes use at
// once (PostgreSQL) has it. SQLite's is served by one process, which keeps
// these in memory.
type Shared interface {
	// RevokeSession refuses UI session id until until (when it would have
	// expired anyway).
	RevokeSession(ctx context.Context, id string, until time.Time) error
	// SessionRevoked reports whether session id was revoked.
	SessionRevoked(ctx context.Context, id string) (bool, error)
	// Failures is how many failed attempts key (a client address) has in
	// its current window under scope ("signin", "apikey"), and when the
	// window ends; 0 when none is current.
	Failures(ctx context.Context, scope, key string) (n int, until time.Time, err error)
	// AddFailure counts one failure of key, starting a window of length
	// window when none is current; it returns the count in the window.
	AddFailure(ctx context.Context, scope, key string, window time.Duration) (n int, err error)
}
