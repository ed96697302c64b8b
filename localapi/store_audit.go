package localapi

import (
	"context"
	"fmt"
	"time"

	"teamsecrets/localapi/store"
)

// AuditEvent is one event of the audit trail; AuditQuery selects some.
type (
	AuditEvent = store.AuditEvent
	AuditQuery = store.AuditQuery
)

// AuditEvents is one page of the trail, newest first (teamsecrets audit).
// With teamSlug, that team's events; without, every team's and those of no
// team (refused unknown keys).
func (s *Store) AuditEvents(ctx context.Context, teamSlug string, q AuditQuery) ([]AuditEvent, error) {
	q.AllTenants = teamSlug == ""
	if teamSlug != "" {
		t, err := s.backend.TenantBySlug(ctx, teamSlug)
		if err != nil {
			return nil, fmt.Errorf("team %q: %w", teamSlug, err)
		}
		q.TenantID = t.ID
	}
	return s.backend.AuditEvents(ctx, q)
}

// PruneAudit removes the events older than retention (0: keeps them all)
// and reports how many.
func (s *Store) PruneAudit(ctx context.Context, retention time.Duration) (int, error) {
	if retention <= 0 {
		return 0, nil
	}
	return s.backend.PruneAudit(ctx, time.Now().Add(-retention))
}
