package cloud

import (
	"context"
	"time"

	"github.com/Khan/genqlient/graphql"
)

// The History page reads the team's audit trail (the local API's
// audit_events extension, not in Prefect Cloud). Whether the API has it is
// learned once, from its first answer, and remembered for this Client; the
// UI shows no History link or page against an API without it.

// AuditQuery asks for one page of a team's audit trail, newest first.
type AuditQuery struct {
	Secret string    // only this secret's events
	Since  time.Time // only events at or after it, unless zero
	Limit  int       // 0 to MaxPageSize
	Offset int
}

// AuditEvent is one event; strings are empty when the API sent none.
type AuditEvent struct {
	ID, Action, Outcome string
	Time                time.Time
	Secret, Target      string
	Actor, KeyName      string
	RequestID           string
	ClientAddr          string
}

// AuditPage is one page of events and how many match.
type AuditPage struct {
	Matches int
	Events  []AuditEvent
}

// HasAuditTrail reports whether the API offers the audit trail, asking it
// (a page of no events) the first time it is not known yet.
func (c *Client) HasAuditTrail(ctx context.Context) bool {
	switch c.auditExt.Load() {
	case extPresent:
		return true
	case extAbsent:
		return false
	}
	_, ok, err := c.AuditEvents(ctx, AuditQuery{})
	return ok && err == nil
}

// AuditEvents returns one page of the team's audit trail. ok is false, with
// no error, when the API does not offer it.
func (c *Client) AuditEvents(ctx context.Context, q AuditQuery) (page AuditPage, ok bool, err error) {
	if c.auditExt.Load() == extAbsent {
		return AuditPage{}, false, nil
	}
	var secret *string
	if q.Secret != "" {
		secret = &q.Secret
	}
	var since *string
	if !q.Since.IsZero() {
		s := q.Since.UTC().Format(time.RFC3339Nano)
		since = &s
	}
	offset := q.Offset
	var unknownField bool
	resp, err := do(ctx, "list audit events", true, func(ctx context.Context, g graphql.Client) (*ListAuditEventsResponse, error) {
		resp, err := ListAuditEvents(ctx, g, secret, since, q.Limit, &offset)
		unknownField = err != nil && lacksField(err, "audit_events")
		return resp, err
	}, c)
	if unknownField {
		c.auditExt.Store(extAbsent)
		return AuditPage{}, false, nil
	}
	if err != nil {
		return AuditPage{}, true, err
	}
	c.auditExt.Store(extPresent)
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	page = AuditPage{Matches: resp.Audit_events.Total_count}
	for _, e := range resp.Audit_events.Events {
		page.Events = append(page.Events, AuditEvent{
			ID: e.Id, Action: e.Action, Outcome: e.Outcome, Time: parseTime(&e.Time).UTC(),
			Secret: str(e.Secret_name), Target: str(e.Target), Actor: str(e.Actor), KeyName: str(e.Key_name),
			RequestID: str(e.Request_id), ClientAddr: str(e.Client_address),
		})
	}
	return page, true, nil
}
