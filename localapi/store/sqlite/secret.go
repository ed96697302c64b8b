package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"teamsecrets/localapi/store"
)

// SecretNames lists a team's names in the order of the index
// secret_by_folded_name: case-insensitive, then by bytes.
func (db *DB) SecretNames(ctx context.Context, tenantID string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT name FROM secret WHERE tenant_id = ? ORDER BY name COLLATE NOCASE, name`, tenantID)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	names := make([]string, 0, 64)
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, dbError(rows.Err())
}

// SecretExists reports whether the team has a secret with this name.
func (db *DB) SecretExists(ctx context.Context, tenantID, name string) (bool, error) {
	var one int
	err := db.read.QueryRowContext(ctx, `SELECT 1 FROM secret WHERE tenant_id = ? AND name = ?`, tenantID, name).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, dbError(err)
}

// SecretCount is how many secrets a team holds.
func (db *DB) SecretCount(ctx context.Context, tenantID string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM secret WHERE tenant_id = ?`, tenantID).Scan(&n)
	return n, dbError(err)
}

// SealedSecret returns one sealed value, or store.ErrNotFound.
func (db *DB) SealedSecret(ctx context.Context, tenantID, name string) ([]byte, error) {
	var sealed []byte
	err := db.read.QueryRowContext(ctx, `SELECT sealed FROM secret WHERE tenant_id = ? AND name = ?`, tenantID, name).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return sealed, dbError(err)
}

// EachSealed calls fn for every stored value, team by team.
func (db *DB) EachSealed(ctx context.Context, fn func(store.Sealed) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, name, sealed FROM secret ORDER BY tenant_id, name`)
	if err != nil {
		return dbError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s store.Sealed
		if err := rows.Scan(&s.TenantID, &s.Name, &s.Value); err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return dbError(rows.Err())
}

// upsertSecret keeps created_at of a name that exists.
const upsertSecret = `INSERT INTO secret (tenant_id, name, sealed, created_at, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?4, ?5)
	ON CONFLICT (tenant_id, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at, updated_by = excluded.updated_by`

// PutSealed creates or replaces a value and records it in the audit trail;
// the commit is durable when it returns.
func (db *DB) PutSealed(ctx context.Context, epoch store.KeyEpoch, tenantID, name, actor string, sealed []byte) error {
	return db.PutSealedMany(ctx, epoch, tenantID, actor, map[string][]byte{name: sealed})
}

// PutSealedMany creates or replaces many values of one team in a single
// transaction, each with its audit event: all or none. The transaction
// holds the write lock from its start (_txlock=immediate), so the key
// check it verifies cannot change before it commits.
func (db *DB) PutSealedMany(ctx context.Context, epoch store.KeyEpoch, tenantID, actor string, sealed map[string][]byte) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return dbError(err)
	}
	defer tx.Rollback()
	if err := checkEpoch(ctx, tx, epoch); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, upsertSecret)
	if err != nil {
		return dbError(err)
	}
	defer stmt.Close()
	at := now()
	for name, v := range sealed {
		var one int
		action := store.AuditSecretReplaced
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM secret WHERE tenant_id = ? AND name = ?`, tenantID, name).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			action = store.AuditSecretAdded
		} else if err != nil {
			return fmt.Errorf("put secrets: %w", dbError(err))
		}
		if _, err := stmt.ExecContext(ctx, tenantID, name, v, at, actor); err != nil {
			return fmt.Errorf("put secrets: %w", dbError(err))
		}
		if err := appendAudit(ctx, tx, secretEvent(tenantID, name, action, store.OutcomeOK)); err != nil {
			return err
		}
	}
	return dbError(tx.Commit())
}

// DeleteSecret removes a value; it reports whether one was there. Either
// way the attempt is in the audit trail (not_found when there was none).
func (db *DB) DeleteSecret(ctx context.Context, tenantID, name string) (bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, dbError(err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM secret WHERE tenant_id = ? AND name = ?`, tenantID, name)
	if err != nil {
		return false, fmt.Errorf("delete secret: %w", dbError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	outcome := store.OutcomeOK
	if n == 0 {
		outcome = store.OutcomeNotFound
	}
	if err := appendAudit(ctx, tx, secretEvent(tenantID, name, store.AuditSecretDeleted, outcome)); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("delete secret: %w", dbError(err))
	}
	return n > 0, nil
}
