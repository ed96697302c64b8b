package postgres

import (
	"bytes"
	"context"

	"github.com/jackc/pgx/v5"

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

// checkEpoch fails with store.ErrKeyChanged unless the stored key check is
// epoch (nil: not checked). It locks the check row FOR SHARE until tx
// ends, so a rotation (ResealAll, which takes it FOR UPDATE) commits wholly
// before or wholly after this write: a value sealed under the old key never
// lands after the rotation, whichever instance writes it.
func (db *DB) checkEpoch(ctx context.Context, tx pgx.Tx, epoch store.KeyEpoch) error {
	if epoch == nil {
		return nil
	}
	var v []byte
	err := tx.QueryRow(ctx, `SELECT value FROM meta WHERE name = 'key_check' FOR SHARE`).Scan(&v)
	if rowMissing(err) || err == nil && !bytes.Equal(v, epoch) {
		return store.ErrKeyChanged
	}
	return db.err(err)
}
