package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"teamsecrets/localapi/store"
)

// AddMember gives a user (created if needed) a role in a team, or changes
// the role of their membership.
func (db *DB) AddMember(ctx context.Context, t store.Tenant, role, username string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return dbError(err)
	}
	defer tx.Rollback()
	uid, err := ensureUser(ctx, tx, username)
	if err != nil {
		return dbError(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO membership (id, user_id, tenant_id, role) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, tenant_id) DO UPDATE SET role = excluded.role`,
		uuid.NewString(), uid, t.ID, role); err != nil {
		return dbError(err)
	}
	if err := appendAudit(ctx, tx, store.AuditEvent{TenantID: t.ID, Action: store.AuditMemberChanged,
		Target: username + " " + role, Outcome: store.OutcomeOK}); err != nil {
		return err
	}
	return dbError(tx.Commit())
}

func ensureUser(ctx context.Context, tx *sql.Tx, username string) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM user WHERE username = ?`, username).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	id = uuid.NewString()
	_, err = tx.ExecContext(ctx, `INSERT INTO user (id, username, created_at) VALUES (?, ?, ?)`, id, username, now())
	return id, err
}

// MemberRole is a user's membership role in a team, or store.NotMember.
func (db *DB) MemberRole(ctx context.Context, t store.Tenant, username string) (string, error) {
	_, role, err := memberOf(ctx, db.read, t, username)
	return role, err
}

// memberOf returns a user's id and membership role in team t, or
// store.NotMember (also for a user that does not exist).
func memberOf(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, t store.Tenant, username string) (userID, role string, err error) {
	err = q.QueryRowContext(ctx, `SELECT u.id, m.role FROM user u JOIN membership m ON m.user_id = u.id
		WHERE u.username = ? AND m.tenant_id = ?`, username, t.ID).Scan(&userID, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", store.NotMember(username, t)
	}
	return userID, role, dbError(err)
}

// MembershipRole is the user's role in a team, or store.ErrNotFound.
func (db *DB) MembershipRole(ctx context.Context, userID, tenantID string) (string, error) {
	var role string
	err := db.read.QueryRowContext(ctx, `SELECT role FROM membership WHERE user_id = ? AND tenant_id = ?`, userID, tenantID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrNotFound
	}
	return role, dbError(err)
}

// User returns a user and their memberships, ordered by team slug.
func (db *DB) User(ctx context.Context, userID, defaultTenantID string) (store.User, []store.Membership, error) {
	var u store.User
	err := db.read.QueryRowContext(ctx, `SELECT id, username, email FROM user WHERE id = ?`, userID).Scan(&u.ID, &u.Username, &u.Email)
	if err != nil {
		return u, nil, dbError(err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT m.id, m.role, t.id, t.slug, t.name FROM membership m
		JOIN tenant t ON t.id = m.tenant_id WHERE m.user_id = ? ORDER BY t.slug`, userID)
	if err != nil {
		return u, nil, dbError(err)
	}
	defer rows.Close()
	var ms []store.Membership
	for rows.Next() {
		var m store.Membership
		if err := rows.Scan(&m.ID, &m.Role, &m.Tenant.ID, &m.Tenant.Slug, &m.Tenant.Name); err != nil {
			return u, nil, err
		}
		if m.Tenant.ID == defaultTenantID {
			u.DefaultMembershipID = m.ID
		}
		ms = append(ms, m)
	}
	return u, ms, dbError(rows.Err())
}
