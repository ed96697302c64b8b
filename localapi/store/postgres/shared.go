package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"teamsecrets/localapi/store"
)

var _ store.Shared = (*DB)(nil)

// RevokeSession refuses UI session id on every instance until until. The
// id is kept as its SHA-256 only. Revocations past their end are removed
// on the way.
func (db *DB) RevokeSession(ctx context.Context, id string, until time.Time) error {
	h := sha256.Sum256([]byte(id))
	_, err := db.pool.Exec(ctx, `WITH gone AS (DELETE FROM session_revocation WHERE until < now())
		INSERT INTO session_revocation (id_hash, until) VALUES ($1, $2)
		ON CONFLICT (id_hash) DO UPDATE SET until = greatest(session_revocation.until, excluded.until)`, h[:], until)
	return db.err(err)
}

// SessionRevoked reports whether session id was revoked (by any instance).
func (db *DB) SessionRevoked(ctx context.Context, id string) (bool, error) {
	h := sha256.Sum256([]byte(id))
	var revoked bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM session_revocation WHERE id_hash = $1)`, h[:]).Scan(&revoked)
	return revoked, db.err(err)
}

// Failures is the count of client's failures under scope in its current
// window, and when that window ends.
func (db *DB) Failures(ctx context.Context, scope, client string) (int, time.Time, error) {
	client = clientKey(client)
	if !storable(scope, client) {
		return 0, time.Time{}, nil // never counted: see AddFailure
	}
	var n int
	var until time.Time
	err := db.pool.QueryRow(ctx, `SELECT failures, window_end FROM auth_failure
		WHERE scope = $1 AND client = $2 AND window_end > now()`, scope, client).Scan(&n, &until)
	if rowMissing(err) {
		return 0, time.Time{}, nil
	}
	return n, until, db.err(err)
}

// AddFailure counts one failure of client under scope, starting a window
// of length window when none is current, and returns the count. Windows
// that ended over an hour ago are removed on the way.
func (db *DB) AddFailure(ctx context.Context, scope, client string, window time.Duration) (int, error) {
	client = clientKey(client)
	if !storable(scope, client) {
		// Not an address PostgreSQL can hold as text (the limiter is given
		// addresses and networks): counted by the instance alone.
		return 0, nil
	}
	var n int
	err := db.pool.QueryRow(ctx, `WITH gone AS (DELETE FROM auth_failure WHERE window_end < now() - interval '1 hour')
		INSERT INTO auth_failure AS f (scope, client, window_end, failures)
		VALUES ($1, $2, now() + make_interval(secs => $3), 1)
		ON CONFLICT (scope, client) DO UPDATE SET
			failures = CASE WHEN f.window_end > now() THEN f.failures + 1 ELSE 1 END,
			window_end = CASE WHEN f.window_end > now() THEN f.window_end ELSE excluded.window_end END
		RETURNING failures`, scope, client, window.Seconds()).Scan(&n)
	return n, db.err(err)
}

// clientKey bounds what a row holds of a client: an address or network as
// it is, anything longer (text a proxy passed on) by its hash.
func clientKey(client string) string {
	if len(client) <= 64 {
		return client
	}
	h := sha256.Sum256([]byte(client))
	return "sha256:" + hex.EncodeToString(h[:])
}
