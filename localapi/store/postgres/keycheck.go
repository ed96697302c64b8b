package postgres

import (
	"context"

	"teamsecrets/localapi/store"
)

// KeyCheck returns the sealed master key check, or store.ErrNotFound.
func (db *DB) KeyCheck(ctx context.Context) ([]byte, error) {
	var v []byte
	err := db.pool.QueryRow(ctx, `SELECT value FROM meta WHERE name = 'key_check'`).Scan(&v)
	if rowMissing(err) {
		return nil, store.ErrNotFound
	}
	return v, db.err(err)
}

// InitKeyCheck stores the check unless one is there: the first wins, also
// among instances starting at once.
func (db *DB) InitKeyCheck(ctx context.Context, sealed []byte) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO meta (name, value) VALUES ('key_check', $1) ON CONFLICT (name) DO NOTHING`, sealed)
	return db.err(err)
}
