package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"teamsecrets/localapi/store"
)

// SecretNames lists a team's names in the order of the index
// secret_by_folded_name: ASCII case-insensitive, then by bytes.
func (db *DB) SecretNames(ctx context.Context, tenantID string) ([]string, error) {
	names := make([]string, 0, 64)
	if !storable(tenantID) {
		return names, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT name FROM secret WHERE tenant_id = $1 ORDER BY lower(name), name`, tenantID)
	if err != nil {
		return nil, db.err(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, db.err(err)
		}
		names = append(names, n)
	}
	return names, db.err(rows.Err())
}

// SecretExists reports whether the team has a secret with this name.
func (db *DB) SecretExists(ctx context.Context, tenantID, name string) (bool, error) {
	if !storable(tenantID, name) {
		return false, nil
	}
	var exists bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM secret WHERE tenant_id = $1 AND name = $2)`, tenantID, name).Scan(&exists)
	return exists, db.err(err)
}

// SecretCount is how many secrets a team holds.
func (db *DB) SecretCount(ctx context.Context, tenantID string) (int, error) {
	if !storable(tenantID) {
		return 0, nil
	}
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM secret WHERE tenant_id = $1`, tenantID).Scan(&n)
	return n, db.err(err)
}

// SealedSecret returns one sealed value, or store.ErrNotFound.
func (db *DB) SealedSecret(ctx context.Context, tenantID, name string) ([]byte, error) {
	if !storable(tenantID, name) {
		return nil, store.ErrNotFound
	}
	var sealed []byte
	err := db.pool.QueryRow(ctx, `SELECT sealed FROM secret WHERE tenant_id = $1 AND name = $2`, tenantID, name).Scan(&sealed)
	if rowMissing(err) {
		return nil, store.ErrNotFound
	}
	return sealed, db.err(err)
}

// EachSealed calls fn for every stored value, team by team.
func (db *DB) EachSealed(ctx context.Context, fn func(store.Sealed) error) error {
	rows, err := db.pool.Query(ctx, `SELECT tenant_id, name, sealed FROM secret ORDER BY tenant_id, name`)
	if err != nil {
		return db.err(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s store.Sealed
		if err := rows.Scan(&s.TenantID, &s.Name, &s.Value); err != nil {
			return db.err(err)
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return db.err(rows.Err())
}

// PutSealed creates or replaces a value and records it in the audit trail;
// the commit is durable when it returns.
func (db *DB) PutSealed(ctx context.Context, epoch store.KeyEpoch, tenantID, name, actor string, sealed []byte) error {
	return db.PutSealedMany(ctx, epoch, tenantID, actor, map[string][]byte{name: sealed})
}

// upsertSecrets writes many values in one statement, keeping created_at of
// the names that exist; it returns each name and whether it was added (a
// row the statement inserted has no xmax), decided by the row itself even
// when another instance writes the same name at once.
const upsertSecrets = `INSERT INTO secret (tenant_id, name, sealed, created_at, updated_at, updated_by)
	SELECT $1, u.name, u.sealed, now(), now(), $2 FROM unnest($3::text[], $4::bytea[]) AS u(name, sealed)
	ON CONFLICT (tenant_id, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at, updated_by = excluded.updated_by
	RETURNING name, xmax = 0`

// PutSealedMany creates or replaces many values of one team in a single
// transaction, each with its audit event (in name order): all or none; and
// none (store.ErrKeyChanged) unless the store's key check is still epoch.
func (db *DB) PutSealedMany(ctx context.Context, epoch store.KeyEpoch, tenantID, actor string, sealed map[string][]byte) error {
	names := make([]string, 0, len(sealed))
	for n := range sealed {
		names = append(names, n)
	}
	if err := checkText("a secret's name", names...); err != nil {
		return err
	}
	if err := checkText("the writer's name", actor); err != nil {
		return err
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	values := make([][]byte, len(names))
	for i, n := range names {
		values[i] = sealed[n]
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if err := db.checkEpoch(ctx, tx, epoch); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, upsertSecrets, tenantID, actor, names, values)
		if err != nil {
			return fmt.Errorf("put secrets: %w", db.err(err))
		}
		added := make(map[string]bool, len(names))
		for rows.Next() {
			var n string
			var a bool
			if err := rows.Scan(&n, &a); err != nil {
				rows.Close()
				return db.err(err)
			}
			added[n] = a
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("put secrets: %w", db.err(err))
		}
		events := make([]store.AuditEvent, len(names))
		for i, n := range names {
			action := store.AuditSecretReplaced
			if added[n] {
				action = store.AuditSecretAdded
			}
			events[i] = secretEvent(tenantID, n, action, store.OutcomeOK)
		}
		return db.appendAudits(ctx, tx, events)
	})
}

// DeleteSecret removes a value; it reports whether one was there. Either
// way the attempt is in the audit trail (not_found when there was none).
func (db *DB) DeleteSecret(ctx context.Context, tenantID, name string) (bool, error) {
	var n int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if storable(tenantID, name) {
			tag, err := tx.Exec(ctx, `DELETE FROM secret WHERE tenant_id = $1 AND name = $2`, tenantID, name)
			if err != nil {
				return fmt.Errorf("delete secret: %w", db.err(err))
			}
			n = tag.RowsAffected()
		}
		outcome := store.OutcomeOK
		if n == 0 {
			outcome = store.OutcomeNotFound
		}
		return db.appendAudit(ctx, tx, secretEvent(tenantID, name, store.AuditSecretDeleted, outcome))
	})
	if err != nil {
		return false, err
	}
	return n > 0, nil
}
