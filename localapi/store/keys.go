package store

import (
	"context"
	"time"
)

// KeyInfo is what a key list shows of one key: never its hash.
type KeyInfo struct {
	Key
	Name          string
	Username      string // the key's user; empty for a service key
	Created       time.Time
	CreatedByID   string // empty: made by an operator (CLI) or at bootstrap
	CreatedByName string
}

// KeyAdmin lists, revokes and marks the use of API keys.
type KeyAdmin interface {
	// Keys lists the keys whose default team is tenantID or whose user is
	// userID (either may be empty: it then matches nothing), newest first.
	Keys(ctx context.Context, tenantID, userID string) ([]KeyInfo, error)
	// KeyByID finds a key by its id, or ErrNotFound.
	KeyByID(ctx context.Context, id string) (KeyInfo, error)
	// DeleteKey removes a key for good (revocation); it reports whether
	// one was there. The next request with it is refused.
	DeleteKey(ctx context.Context, id string) (bool, error)
	// TouchKey records that a key was used at at, unless a use at or after
	// since is recorded already (so a burst of requests writes once). It
	// reports whether it wrote.
	TouchKey(ctx context.Context, id string, at, since time.Time) (bool, error)
}
