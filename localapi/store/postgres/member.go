package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"teamsecrets/localapi/store"
)

// AddMember gives a user (created if needed) a role in a team, or changes
// the role of their membership.
func (db *DB) AddMember(ctx context.Context, t store.Tenant, role, username string) error {
	if err := checkText("a user name", username); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		uid, err := db.ensureUser(ctx, tx, username)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO membership (id, user_id, tenant_id, role) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id, tenant_id) DO UPDATE SET role = excluded.role`,
			uuid.NewString(), uid, t.ID, role); err != nil {
			return db.err(err)
		}
		return db.appendAudit(ctx, tx, store.AuditEvent{TenantID: t.ID, Action: store.AuditMemberChanged,
			Target: username + " " + role, Outcome: store.OutcomeOK})
	})
}

// ensureUser returns the user's id, making the user if there is none. Two
// instances making the same user at once both get the one row: the insert
// waits for the other's and then does nothing, and the next statement sees
// the row committed.
func (db *DB) ensureUser(ctx context.Context, tx pgx.Tx, username string) (string, error) {
	var id string
	err := tx.QueryRow(ctx, `INSERT INTO users (id, username, created_at) VALUES ($1, $2, now())
		ON CONFLICT (username) DO NOTHING RETURNING id`, uuid.NewString(), username).Scan(&id)
	if rowMissing(err) {
		err = tx.QueryRow(ctx, `SELECT id FROM users WHERE username = $1`, username).Scan(&id)
	}
	return id, db.err(err)
}

// MemberRole is a user's membership role in a team, or store.NotMember.
func (db *DB) MemberRole(ctx context.Context, t store.Tenant, username string) (string, error) {
	_, role, err := db.memberOf(ctx, db.pool, t, username, false)
	return role, err
}

// querier is a transaction or the pool.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// memberOf returns a user's id and membership role in team t, or
// store.NotMember (also for a user that does not exist). lock holds the
// membership row until the transaction ends, so a concurrent AddMember
// cannot change the role the caller relies on.
func (db *DB) memberOf(ctx context.Context, q querier, t store.Tenant, username string, lock bool) (userID, role string, err error) {
	if !storable(username) {
		return "", "", store.NotMember(username, t)
	}
	query := `SELECT u.id, m.role FROM users u JOIN membership m ON m.user_id = u.id WHERE u.username = $1 AND m.tenant_id = $2`
	if lock {
		query += ` FOR SHARE OF m`
	}
	err = q.QueryRow(ctx, query, username, t.ID).Scan(&userID, &role)
	if rowMissing(err) {
		return "", "", store.NotMember(username, t)
	}
	return userID, role, db.err(err)
}

// MembershipRole is the user's role in a team, or store.ErrNotFound.
func (db *DB) MembershipRole(ctx context.Context, userID, tenantID string) (string, error) {
	if !storable(userID, tenantID) {
		return "", store.ErrNotFound
	}
	var role string
	err := db.pool.QueryRow(ctx, `SELECT role FROM membership WHERE user_id = $1 AND tenant_id = $2`, userID, tenantID).Scan(&role)
	if rowMissing(err) {
		return "", store.ErrNotFound
	}
	return role, db.err(err)
}

// User returns a user and their memberships, ordered by team slug.
func (db *DB) User(ctx context.Context, userID, defaultTenantID string) (store.User, []store.Membership, error) {
	var u store.User
	if !storable(userID) {
		return u, nil, store.ErrNotFound
	}
	err := db.pool.QueryRow(ctx, `SELECT id, username, email FROM users WHERE id = $1`, userID).Scan(&u.ID, &u.Username, &u.Email)
	if rowMissing(err) {
		return u, nil, store.ErrNotFound
	}
	if err != nil {
		return u, nil, db.err(err)
	}
	rows, err := db.pool.Query(ctx, `SELECT m.id, m.role, t.id, t.slug, t.name FROM membership m
		JOIN tenant t ON t.id = m.tenant_id WHERE m.user_id = $1 ORDER BY t.slug`, userID)
	if err != nil {
		return u, nil, db.err(err)
	}
	defer rows.Close()
	var ms []store.Membership
	for rows.Next() {
		var m store.Membership
		if err := rows.Scan(&m.ID, &m.Role, &m.Tenant.ID, &m.Tenant.Slug, &m.Tenant.Name); err != nil {
			return u, nil, db.err(err)
		}
		if m.Tenant.ID == defaultTenantID {
			u.DefaultMembershipID = m.ID
		}
		ms = append(ms, m)
	}
	return u, ms, db.err(rows.Err())
}

// rollbackTimeout bounds the rollback of a transaction that failed.
const rollbackTimeout = 5 * time.Second

// inTx runs fn in a transaction, committed if fn returns nil. It is READ
// COMMITTED whatever the database's or role's default: the key epoch's
// locks rely on it (a reseal that waited for writers' FOR SHARE locks reads
// what they committed, and a writer that waited for a reseal sees its new
// key check), and concurrent writes of one name update rather than fail
// to serialize.
func (db *DB) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return db.err(err)
	}
	defer func() {
		// Even when ctx is over, but not for ever: a database that stopped
		// answering would hold the rollback, and the request, without end.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		tx.Rollback(ctx)
	}()
	if err := fn(tx); err != nil {
		return err
	}
	return db.err(tx.Commit(ctx))
}
