package localapi

import (
	"context"
	"strconv"

	"teamsecrets/localapi/store"
)

// audit_events is an extension of the local API (not in Prefect Cloud): one
// page of the team's audit trail, newest first. A TENANT_ADMIN sees every
// event of the team; USER and READ_ONLY_USER see the secret events (names,
// who and when, as secret_list's updated_by shows them anyway) without
// client addresses. No event holds a value or a key.

// MaxAuditLimit bounds one page of audit_events.
const MaxAuditLimit = 100

type auditEventsArgs struct {
	SecretName *string
	Since      *Timestamptz
	Limit      int32
	Offset     *int32
}

func (r *resolver) AuditEvents(ctx context.Context, args auditEventsArgs) (*auditPage, error) {
	id, err := identify(ctx)
	if err != nil {
		return nil, err
	}
	if args.Limit < 0 || args.Limit > MaxAuditLimit {
		return nil, errorf(CodeBadUserInput, "Invalid limit: audit_events returns 0 to %d events at a time", MaxAuditLimit)
	}
	admin := id.Role == RoleTenantAdmin
	q := store.AuditQuery{TenantID: id.TenantID, Limit: int(args.Limit), SecretOnly: !admin}
	if args.Offset != nil {
		if *args.Offset < 0 || *args.Offset > maxSecretListOffset {
			return nil, errorf(CodeBadUserInput, "Invalid offset: it must be 0 to %d", maxSecretListOffset)
		}
		q.Offset = int(*args.Offset)
	}
	if args.SecretName != nil {
		if len(*args.SecretName) > 1024 {
			return nil, errorf(CodeBadUserInput, "Invalid secret_name: at most 1024 bytes")
		}
		q.Secret = *args.SecretName
	}
	if args.Since != nil {
		q.Since = args.Since.Time
	}
	total, err := r.keys.AuditCount(ctx, q)
	if err != nil {
		return nil, internal(ctx, "count audit events", err)
	}
	p := &auditPage{total: int32(min(total, 1<<31-1))}
	if q.Limit > 0 && q.Offset < total {
		events, err := r.keys.AuditEvents(ctx, q)
		if err != nil {
			return nil, internal(ctx, "list audit events", err)
		}
		size := 40
		for _, e := range events {
			if !admin {
				e.ClientAddr = ""
			}
			size += 300 + len(e.Secret) + len(e.Target) + len(e.Actor) + len(e.KeyName) + len(e.RequestID) + len(e.ClientAddr)
			p.events = append(p.events, auditEvent{e})
		}
		if err := charge(ctx, size); err != nil {
			return nil, err
		}
	}
	return p, nil
}

type auditPage struct {
	total  int32
	events []auditEvent
}

func (p *auditPage) TotalCount() int32    { return p.total }
func (p *auditPage) Events() []auditEvent { return p.events }

type auditEvent struct{ e store.AuditEvent }

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (a auditEvent) ID() string             { return strconv.FormatInt(a.e.ID, 10) }
func (a auditEvent) Time() Timestamptz      { return Timestamptz{a.e.Time} }
func (a auditEvent) Action() string         { return a.e.Action }
func (a auditEvent) Outcome() string        { return a.e.Outcome }
func (a auditEvent) SecretName() *string    { return optString(a.e.Secret) }
func (a auditEvent) Target() *string        { return optString(a.e.Target) }
func (a auditEvent) Actor() *string         { return optString(a.e.Actor) }
func (a auditEvent) KeyID() *UUID           { return optUUID(a.e.KeyID) }
func (a auditEvent) KeyName() *string       { return optString(a.e.KeyName) }
func (a auditEvent) RequestID() *string     { return optString(a.e.RequestID) }
func (a auditEvent) ClientAddress() *string { return optString(a.e.ClientAddr) }
