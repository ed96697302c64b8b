package store

import (
	"context"
	"time"
)

// The audit trail: one event per change (secret set, deleted, key created
// or revoked, membership changed) and per refused authentication. An event
// names who acted, what and when; it never holds a value or a key. Events
// are appended, never changed; only retention (PruneAudit) removes the
// oldest.
//
// A backend records a change's event in the same transaction as the change,
// with who acted taken from the context (WithAuditor); without one the
// actor is the operator (admin commands, bootstrap).

// Audit actions.
const (
	AuditSecretAdded    = "secret.added"
	AuditSecretReplaced = "secret.replaced"
	AuditSecretDeleted  = "secret.deleted"
	AuditKeyCreated     = "key.created"
	AuditKeyRevoked     = "key.revoked"
	AuditMemberChanged  = "member.changed"
	AuditAuthRefused    = "auth.refused"
	// AuditMasterKeyRotated: every value was resealed under a new master
	// key (Rekey). In no team; its target says how many values.
	AuditMasterKeyRotated = "master_key.rotated"
)

// Audit outcomes.
const (
	OutcomeOK       = "ok"
	OutcomeNotFound = "not_found"
	OutcomeRefused  = "refused"
)

// Auditor is who makes the changes of one request, and how to find the
// request again.
type Auditor struct {
	Actor      string // the key's user, "team key", or empty: the operator
	KeyID      string // the key acting; the backend records its name too
	RequestID  string
	ClientAddr string // where known
}

type auditorKey struct{}

// WithAuditor returns ctx carrying who acts in it.
func WithAuditor(ctx context.Context, a Auditor) context.Context {
	return context.WithValue(ctx, auditorKey{}, a)
}

// AuditorFrom is who acts in ctx (zero: the operator).
func AuditorFrom(ctx context.Context) Auditor {
	a, _ := ctx.Value(auditorKey{}).(Auditor)
	return a
}

// AuditEvent is one recorded event.
type AuditEvent struct {
	ID       int64
	Time     time.Time // UTC
	TenantID string    // empty: no team known (an unknown key refused)
	Auditor
	KeyName string
	Action  string
	Secret  string // the secret's name, for secret events
	// Target is what a key or member event is about: the key's name (or
	// id), or the member's username and new role.
	Target  string
	Outcome string
}

// AuditQuery selects events, newest first.
type AuditQuery struct {
	TenantID   string // empty: every team (operators only)
	AllTenants bool   // TenantID "" means every team, not "no team"
	Secret     string // only this secret's events
	SecretOnly bool   // only secret events
	Since      time.Time
	Limit      int // 0: no limit
	Offset     int
}

// Audit reads, appends and prunes the audit trail.
type Audit interface {
	// AppendAudit records an event that goes with no change of the store
	// (a refused authentication). Time, if zero, is now.
	AppendAudit(ctx context.Context, e AuditEvent) error
	// AuditEvents is one page of events, newest first.
	AuditEvents(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
	// AuditCount counts the events q selects (ignoring Limit and Offset).
	AuditCount(ctx context.Context, q AuditQuery) (int, error)
	// PruneAudit removes the events older than before; it reports how many.
	PruneAudit(ctx context.Context, before time.Time) (int, error)
}
