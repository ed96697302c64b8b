package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"teamsecrets/localapi/store"
)

// CreateKey stores a key's hash. A user key's membership is read and
// locked (FOR SHARE) in the insert's transaction, so a concurrent
// AddMember cannot lower it between the check and the insert.
func (db *DB) CreateKey(ctx context.Context, k store.NewKey) error {
	if err := checkText("a key's hash, id, name, user or maker", k.Hash, k.ID, k.Name, k.Username, k.UserID, k.CreatedBy); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		var userID *string
		if k.Username != "" || k.UserID != "" {
			username := k.Username
			if k.UserID != "" {
				err := tx.QueryRow(ctx, `SELECT username FROM users WHERE id = $1`, k.UserID).Scan(&username)
				if rowMissing(err) {
					return store.NotMember(k.UserID, k.Tenant)
				}
				if err != nil {
					return db.err(err)
				}
			}
			uid, memberRole, err := db.memberOf(ctx, tx, k.Tenant, username, true)
			if err != nil {
				return err
			}
			if store.RoleRank(k.Role) > store.RoleRank(memberRole) {
				return store.AboveMembership(username, memberRole, k.Tenant)
			}
			userID = &uid
		}
		id := k.ID
		if id == "" {
			id = uuid.NewString()
		}
		if _, err := tx.Exec(ctx, `INSERT INTO api_key (id, hash, user_id, tenant_id, role, created_at, name, expires_at, created_by)
			VALUES ($1, $2, $3, $4, $5, now(), $6, $7, $8)`,
			id, k.Hash, userID, k.Tenant.ID, k.Role, k.Name, optTime(k.ExpiresAt), optString(k.CreatedBy)); err != nil {
			return db.err(err)
		}
		return db.appendAudit(ctx, tx, store.AuditEvent{TenantID: k.Tenant.ID, Action: store.AuditKeyCreated,
			Target: keyTarget(k.Name, id) + " " + k.Role, Outcome: store.OutcomeOK})
	})
}

// KeyByHash looks a key up by its hash.
func (db *DB) KeyByHash(ctx context.Context, hash string) (store.Key, error) {
	var k store.Key
	if !storable(hash) {
		return k, store.ErrNotFound
	}
	var uid *string
	var expires, used *time.Time
	err := db.pool.QueryRow(ctx, `SELECT id, user_id, tenant_id, role, expires_at, last_used_at FROM api_key WHERE hash = $1`, hash).
		Scan(&k.ID, &uid, &k.TenantID, &k.Role, &expires, &used)
	if rowMissing(err) {
		return k, store.ErrNotFound
	}
	if err != nil {
		return k, db.err(err)
	}
	k.UserID = deref(uid)
	k.ExpiresAt, k.LastUsed = utc(expires), utc(used)
	return k, nil
}

const keyInfoColumns = `k.id, k.user_id, k.tenant_id, k.role, k.expires_at, k.last_used_at, k.name, k.created_at,
	u.username, k.created_by, c.username
	FROM api_key k LEFT JOIN users u ON u.id = k.user_id LEFT JOIN users c ON c.id = k.created_by`

func scanKeyInfo(row pgx.Row) (store.KeyInfo, error) {
	var k store.KeyInfo
	var uid, username, createdBy, createdByName *string
	var expires, used *time.Time
	var created time.Time
	if err := row.Scan(&k.ID, &uid, &k.TenantID, &k.Role, &expires, &used, &k.Name, &created,
		&username, &createdBy, &createdByName); err != nil {
		return k, err
	}
	k.UserID, k.Username = deref(uid), deref(username)
	k.CreatedByID, k.CreatedByName = deref(createdBy), deref(createdByName)
	k.ExpiresAt, k.LastUsed, k.Created = utc(expires), utc(used), created.UTC()
	return k, nil
}

// Keys lists the keys of a team (by default team) or of a user, newest
// first.
func (db *DB) Keys(ctx context.Context, tenantID, userID string) ([]store.KeyInfo, error) {
	if !storable(tenantID, userID) {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT `+keyInfoColumns+`
		WHERE ($1 <> '' AND k.tenant_id = $1) OR ($2 <> '' AND k.user_id = $2)
		ORDER BY k.created_at DESC, k.id`, tenantID, userID)
	if err != nil {
		return nil, db.err(err)
	}
	defer rows.Close()
	var out []store.KeyInfo
	for rows.Next() {
		k, err := scanKeyInfo(rows)
		if err != nil {
			return nil, db.err(err)
		}
		out = append(out, k)
	}
	return out, db.err(rows.Err())
}

// KeyByID finds a key by its id.
func (db *DB) KeyByID(ctx context.Context, id string) (store.KeyInfo, error) {
	if !storable(id) {
		return store.KeyInfo{}, store.ErrNotFound
	}
	k, err := scanKeyInfo(db.pool.QueryRow(ctx, `SELECT `+keyInfoColumns+` WHERE k.id = $1`, id))
	if rowMissing(err) {
		return k, store.ErrNotFound
	}
	return k, db.err(err)
}

// DeleteKey removes a key, recording it in the audit trail of the key's
// team. The row is locked first: of two revocations at once, one finds it.
func (db *DB) DeleteKey(ctx context.Context, id string) (bool, error) {
	if !storable(id) {
		return false, nil
	}
	found := false
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var tenantID, name string
		err := tx.QueryRow(ctx, `SELECT tenant_id, name FROM api_key WHERE id = $1 FOR UPDATE`, id).Scan(&tenantID, &name)
		if rowMissing(err) {
			return nil
		}
		if err != nil {
			return db.err(err)
		}
		// The event first: a key revoking itself is still named in it.
		if err := db.appendAudit(ctx, tx, store.AuditEvent{TenantID: tenantID, Action: store.AuditKeyRevoked,
			Target: keyTarget(name, id), Outcome: store.OutcomeOK}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM api_key WHERE id = $1`, id); err != nil {
			return db.err(err)
		}
		found = true
		return nil
	})
	return found && err == nil, err
}

// TouchKey records a use unless one at or after since is recorded. Of
// several instances touching at once, the first writes; the others' update
// finds the row's new time and writes nothing.
func (db *DB) TouchKey(ctx context.Context, id string, at, since time.Time) (bool, error) {
	if !storable(id) {
		return false, nil
	}
	tag, err := db.pool.Exec(ctx, `UPDATE api_key SET last_used_at = $1
		WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`, at, id, since)
	if err != nil {
		return false, db.err(err)
	}
	return tag.RowsAffected() > 0, nil
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
