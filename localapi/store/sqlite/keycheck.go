package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"

	"teamsecrets/localapi/store"
)

// KeyCheck returns the sealed master key check, or store.ErrNotFound.
func (db *DB) KeyCheck(ctx context.Context) ([]byte, error) {
	var v []byte
	err := db.write.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'key_check'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return v, dbError(err)
}

// InitKeyCheck stores the check unless one is there: the first wins.
func (db *DB) InitKeyCheck(ctx context.Context, sealed []byte) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES ('key_check', ?) ON CONFLICT (name) DO NOTHING`, sealed)
	return dbError(err)
}

// checkEpoch fails with store.ErrKeyChanged unless the stored key check is
// epoch (nil: not checked). tx must hold the write lock.
func checkEpoch(ctx context.Context, tx *sql.Tx, epoch store.KeyEpoch) error {
	if epoch == nil {
		return nil
	}
	var v []byte
	err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'key_check'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !bytes.Equal(v, epoch) {
		return store.ErrKeyChanged
	}
	return dbError(err)
}
