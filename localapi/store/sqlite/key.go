package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"teamsecrets/localapi/store"
)

// CreateKey stores a key's hash. A user key's membership is checked in the
// write transaction, so a concurrent AddMember cannot lower it between the
// check and the insert.
func (db *DB) CreateKey(ctx context.Context, k store.NewKey) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return dbError(err)
	}
	defer tx.Rollback()
	var userID sql.NullString
	if k.Username != "" {
		uid, memberRole, err := memberOf(ctx, tx, k.Tenant, k.Username)
		if err != nil {
			return err
		}
		if store.RoleRank(k.Role) > store.RoleRank(memberRole) {
			return store.AboveMembership(k.Username, memberRole, k.Tenant)
		}
		userID = sql.NullString{String: uid, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO api_key (id, hash, user_id, tenant_id, role, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		uuid.NewString(), k.Hash, userID, k.Tenant.ID, k.Role, now()); err != nil {
		return dbError(err)
	}
	return dbError(tx.Commit())
}

// KeyByHash looks a key up by its hash.
func (db *DB) KeyByHash(ctx context.Context, hash string) (store.Key, error) {
	var k store.Key
	var uid sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT id, user_id, tenant_id, role FROM api_key WHERE hash = ?`, hash).
		Scan(&k.ID, &uid, &k.TenantID, &k.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return k, store.ErrNotFound
	}
	k.UserID = uid.String
	return k, dbError(err)
}
