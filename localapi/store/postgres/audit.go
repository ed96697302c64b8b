package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"teamsecrets/localapi/store"
)

// execer is a transaction or the pool.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// insertAudit records one event. The key's name is read from api_key as
// the event is written, so a key revoked later keeps its name here. A
// zero time is the transaction's.
const insertAudit = `INSERT INTO audit_event
	(at, tenant_id, actor, key_id, key_name, action, secret, target, outcome, request_id, client_addr)
	VALUES (COALESCE($1::timestamptz, now()), $2, $3, $4, COALESCE(NULLIF($5, ''), (SELECT name FROM api_key WHERE id = $4), ''),
		$6, $7, $8, $9, $10, $11)`

// auditArgs are e's values for insertAudit, with who acts from ctx
// (store.WithAuditor) unless e names them. Every text is made storable:
// the event is recorded whatever the request carried.
func auditArgs(ctx context.Context, e store.AuditEvent) []any {
	if e.Auditor == (store.Auditor{}) {
		e.Auditor = store.AuditorFrom(ctx)
	}
	var at any
	if !e.Time.IsZero() {
		at = e.Time
	}
	return []any{at, cleanText(e.TenantID), cleanText(e.Actor), cleanText(e.KeyID), cleanText(e.KeyName),
		e.Action, cleanText(e.Secret), cleanText(e.Target), e.Outcome, cleanText(e.RequestID), cleanText(e.ClientAddr)}
}

// appendAudit records e in x (the change's transaction).
func (db *DB) appendAudit(ctx context.Context, x execer, e store.AuditEvent) error {
	if _, err := x.Exec(ctx, insertAudit, auditArgs(ctx, e)...); err != nil {
		return fmt.Errorf("record audit event: %w", db.err(err))
	}
	return nil
}

// appendAudits records events in tx in one round trip.
func (db *DB) appendAudits(ctx context.Context, tx pgx.Tx, events []store.AuditEvent) error {
	var b pgx.Batch
	for _, e := range events {
		b.Queue(insertAudit, auditArgs(ctx, e)...)
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("record audit events: %w", db.err(err))
	}
	return nil
}

// secretEvent is the event of a write to one secret.
func secretEvent(tenantID, name, action, outcome string) store.AuditEvent {
	return store.AuditEvent{TenantID: tenantID, Secret: name, Action: action, Outcome: outcome}
}

// keyTarget names a key in an event: its name and id (never the key).
func keyTarget(name, id string) string {
	if name == "" {
		return id
	}
	return name + " (" + id + ")"
}

// AppendAudit records an event with no change beside it.
func (db *DB) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	return db.appendAudit(ctx, db.pool, e)
}

// auditWhere is q's WHERE clause and its arguments; ok is false when q
// asks for a text no event can hold (then nothing matches).
func auditWhere(q store.AuditQuery) (where string, args []any, ok bool) {
	var conds []string
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.TenantID != "" || !q.AllTenants {
		conds = append(conds, "tenant_id = "+arg(q.TenantID))
	}
	if q.Secret != "" {
		conds = append(conds, "secret = "+arg(q.Secret))
	}
	if q.SecretOnly {
		conds = append(conds, "action LIKE 'secret.%'")
	}
	if !q.Since.IsZero() {
		conds = append(conds, "at >= "+arg(q.Since))
	}
	if !storable(q.TenantID, q.Secret) {
		return "", nil, false
	}
	if len(conds) == 0 {
		return "", args, true
	}
	return " WHERE " + strings.Join(conds, " AND "), args, true
}

// AuditEvents is one page of events, newest first.
func (db *DB) AuditEvents(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	where, args, ok := auditWhere(q)
	if !ok {
		return nil, nil
	}
	query := `SELECT id, at, tenant_id, actor, key_id, key_name, action, secret, target, outcome, request_id, client_addr
		FROM audit_event` + where + ` ORDER BY id DESC`
	if q.Limit > 0 {
		query += fmt.Sprintf(` LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2)
		args = append(args, q.Limit, max(q.Offset, 0))
	}
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, db.err(err)
	}
	defer rows.Close()
	var events []store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		if err := rows.Scan(&e.ID, &e.Time, &e.TenantID, &e.Actor, &e.KeyID, &e.KeyName, &e.Action, &e.Secret, &e.Target,
			&e.Outcome, &e.RequestID, &e.ClientAddr); err != nil {
			return nil, db.err(err)
		}
		e.Time = e.Time.UTC()
		events = append(events, e)
	}
	return events, db.err(rows.Err())
}

// AuditCount counts the events q selects.
func (db *DB) AuditCount(ctx context.Context, q store.AuditQuery) (int, error) {
	where, args, ok := auditWhere(q)
	if !ok {
		return 0, nil
	}
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM audit_event`+where, args...).Scan(&n)
	return n, db.err(err)
}

// PruneAudit removes events older than before.
func (db *DB) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM audit_event WHERE at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune audit events: %w", db.err(err))
	}
	return int(tag.RowsAffected()), nil
}
