package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"teamsecrets/localapi/store"
)

// execer is a transaction or the write connection.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// appendAudit records e, with who acts from ctx (store.WithAuditor) unless
// e names them. The key's name is read from api_key as the event is written,
// so a key revoked later keeps its name here.
func appendAudit(ctx context.Context, x execer, e store.AuditEvent) error {
	if e.Auditor == (store.Auditor{}) {
		e.Auditor = store.AuditorFrom(ctx)
	}
	at := now()
	if !e.Time.IsZero() {
		at = formatTime(e.Time)
	}
	_, err := x.ExecContext(ctx, `INSERT INTO audit_event
		(at, tenant_id, actor, key_id, key_name, action, secret, target, outcome, request_id, client_addr)
		VALUES (?, ?, ?, ?, COALESCE(NULLIF(?, ''), (SELECT name FROM api_key WHERE id = ?), ''), ?, ?, ?, ?, ?, ?)`,
		at, e.TenantID, e.Actor, e.KeyID, e.KeyName, e.KeyID, e.Action, e.Secret, e.Target, e.Outcome, e.RequestID, e.ClientAddr)
	if err != nil {
		return fmt.Errorf("record audit event: %w", dbError(err))
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
	return appendAudit(ctx, db.write, e)
}

func auditWhere(q store.AuditQuery) (string, []any) {
	var conds []string
	var args []any
	if q.TenantID != "" || !q.AllTenants {
		conds, args = append(conds, "tenant_id = ?"), append(args, q.TenantID)
	}
	if q.Secret != "" {
		conds, args = append(conds, "secret = ?"), append(args, q.Secret)
	}
	if q.SecretOnly {
		conds = append(conds, "action LIKE 'secret.%'")
	}
	if !q.Since.IsZero() {
		conds, args = append(conds, "at >= ?"), append(args, formatTime(q.Since))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// AuditEvents is one page of events, newest first.
func (db *DB) AuditEvents(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	where, args := auditWhere(q)
	query := `SELECT id, at, tenant_id, actor, key_id, key_name, action, secret, target, outcome, request_id, client_addr
		FROM audit_event` + where + ` ORDER BY id DESC`
	if q.Limit > 0 {
		query += ` LIMIT ? OFFSET ?`
		args = append(args, q.Limit, q.Offset)
	}
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	var events []store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		var at string
		if err := rows.Scan(&e.ID, &at, &e.TenantID, &e.Actor, &e.KeyID, &e.KeyName, &e.Action, &e.Secret, &e.Target, &e.Outcome, &e.RequestID, &e.ClientAddr); err != nil {
			return nil, err
		}
		e.Time, _ = time.Parse(timeLayout, at)
		events = append(events, e)
	}
	return events, dbError(rows.Err())
}

// AuditCount counts the events q selects.
func (db *DB) AuditCount(ctx context.Context, q store.AuditQuery) (int, error) {
	where, args := auditWhere(q)
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM audit_event`+where, args...).Scan(&n)
	return n, dbError(err)
}

// PruneAudit removes events older than before.
func (db *DB) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM audit_event WHERE at < ?`, formatTime(before))
	if err != nil {
		return 0, fmt.Errorf("prune audit events: %w", dbError(err))
	}
	n, err := res.RowsAffected()
	return int(n), dbError(err)
}
