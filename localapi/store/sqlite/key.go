package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

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
	if k.Username != "" || k.UserID != "" {
		username := k.Username
		if k.UserID != "" {
			err := tx.QueryRowContext(ctx, `SELECT username FROM user WHERE id = ?`, k.UserID).Scan(&username)
			if errors.Is(err, sql.ErrNoRows) {
				return store.NotMember(k.UserID, k.Tenant)
			}
			if err != nil {
				return dbError(err)
			}
		}
		uid, memberRole, err := memberOf(ctx, tx, k.Tenant, username)
		if err != nil {
			return err
		}
		if store.RoleRank(k.Role) > store.RoleRank(memberRole) {
			return store.AboveMembership(username, memberRole, k.Tenant)
		}
		userID = sql.NullString{String: uid, Valid: true}
	}
	id := k.ID
	if id == "" {
		id = uuid.NewString()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO api_key (id, hash, user_id, tenant_id, role, created_at, name, expires_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, k.Hash, userID, k.Tenant.ID, k.Role, formatTime(time.Now()), k.Name, optTime(k.ExpiresAt), optString(k.CreatedBy)); err != nil {
		return dbError(err)
	}
	if err := appendAudit(ctx, tx, store.AuditEvent{TenantID: k.Tenant.ID, Action: store.AuditKeyCreated,
		Target: keyTarget(k.Name, id) + " " + k.Role, Outcome: store.OutcomeOK}); err != nil {
		return err
	}
	return dbError(tx.Commit())
}

// KeyByHash looks a key up by its hash.
func (db *DB) KeyByHash(ctx context.Context, hash string) (store.Key, error) {
	var k store.Key
	var uid, expires, used sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT id, user_id, tenant_id, role, expires_at, last_used_at FROM api_key WHERE hash = ?`, hash).
		Scan(&k.ID, &uid, &k.TenantID, &k.Role, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return k, store.ErrNotFound
	}
	if err != nil {
		return k, dbError(err)
	}
	k.UserID = uid.String
	k.ExpiresAt, k.LastUsed = parseTime(expires), parseTime(used)
	return k, nil
}

const keyInfoColumns = `k.id, k.user_id, k.tenant_id, k.role, k.expires_at, k.last_used_at, k.name, k.created_at,
	u.username, k.created_by, c.username
	FROM api_key k LEFT JOIN user u ON u.id = k.user_id LEFT JOIN user c ON c.id = k.created_by`

func scanKeyInfo(row interface{ Scan(...any) error }) (store.KeyInfo, error) {
	var k store.KeyInfo
	var uid, expires, used, username, createdBy, createdByName sql.NullString
	var created string
	if err := row.Scan(&k.ID, &uid, &k.TenantID, &k.Role, &expires, &used, &k.Name, &created,
		&username, &createdBy, &createdByName); err != nil {
		return k, err
	}
	k.UserID, k.Username = uid.String, username.String
	k.CreatedByID, k.CreatedByName = createdBy.String, createdByName.String
	k.ExpiresAt, k.LastUsed = parseTime(expires), parseTime(used)
	k.Created = parseTime(sql.NullString{String: created, Valid: true})
	return k, nil
}

// Keys lists the keys of a team (by default team) or of a user, newest
// first.
func (db *DB) Keys(ctx context.Context, tenantID, userID string) ([]store.KeyInfo, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+keyInfoColumns+`
		WHERE (? != '' AND k.tenant_id = ?) OR (? != '' AND k.user_id = ?)
		ORDER BY k.created_at DESC, k.id`, tenantID, tenantID, userID, userID)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	var out []store.KeyInfo
	for rows.Next() {
		k, err := scanKeyInfo(rows)
		if err != nil {
			return nil, dbError(err)
		}
		out = append(out, k)
	}
	return out, dbError(rows.Err())
}

// KeyByID finds a key by its id.
func (db *DB) KeyByID(ctx context.Context, id string) (store.KeyInfo, error) {
	k, err := scanKeyInfo(db.read.QueryRowContext(ctx, `SELECT `+keyInfoColumns+` WHERE k.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return k, store.ErrNotFound
	}
	return k, dbError(err)
}

// DeleteKey removes a key, recording it in the audit trail of the key's
// team.
func (db *DB) DeleteKey(ctx context.Context, id string) (bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, dbError(err)
	}
	defer tx.Rollback()
	var tenantID, name string
	err = tx.QueryRowContext(ctx, `SELECT tenant_id, name FROM api_key WHERE id = ?`, id).Scan(&tenantID, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, dbError(err)
	}
	// The event first: a key revoking itself is still named in it.
	if err := appendAudit(ctx, tx, store.AuditEvent{TenantID: tenantID, Action: store.AuditKeyRevoked,
		Target: keyTarget(name, id), Outcome: store.OutcomeOK}); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM api_key WHERE id = ?`, id); err != nil {
		return false, dbError(err)
	}
	return true, dbError(tx.Commit())
}

// TouchKey records a use unless one at or after since is recorded.
func (db *DB) TouchKey(ctx context.Context, id string, at, since time.Time) (bool, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE api_key SET last_used_at = ?
		WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, formatTime(at), id, formatTime(since))
	if err != nil {
		return false, dbError(err)
	}
	n, err := res.RowsAffected()
	return n > 0, dbError(err)
}

// Times are stored as RFC 3339 text in UTC, with a fixed number of
// fractional digits so that text order is time order (timeLayout).
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func optTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(t), Valid: true}
}

func optString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func parseTime(s sql.NullString) time.Time {
	if !s.Valid || s.String == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return time.Time{}
	}
	return t
}
