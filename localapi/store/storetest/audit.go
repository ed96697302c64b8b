package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"teamsecrets/localapi/store"
)

// auditActions lists q's events' "action secret outcome", oldest first.
func auditActions(t *testing.T, b store.Backend, q store.AuditQuery) []string {
	t.Helper()
	events, err := b.AuditEvents(t.Context(), q)
	must(t, err)
	var out []string
	for _, e := range slices.Backward(events) {
		out = append(out, e.Action+" "+e.Secret+" "+e.Outcome)
	}
	return out
}

func testAudit(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha, beta := team(t, b, "alpha"), team(t, b, "beta")
	must(t, b.AddMember(ctx, alpha, store.RoleTenantAdmin, "ann"))
	must(t, b.CreateKey(ctx, store.NewKey{ID: "k-ann", Hash: "h-ann", Tenant: alpha, Role: store.RoleUser, Username: "ann", Name: "laptop"}))

	who := store.Auditor{Actor: "ann", KeyID: "k-ann", RequestID: "req-1", ClientAddr: "192.0.2.7"}
	actx := store.WithAuditor(ctx, who)
	canary := []byte("sealed-CANARY-never-in-an-event")
	must(t, b.PutSealed(actx, nil, alpha.ID, "A", "ann", canary))
	must(t, b.PutSealed(actx, nil, alpha.ID, "A", "ann", canary))
	must(t, b.PutSealedMany(actx, nil, alpha.ID, "ann", map[string][]byte{"B": canary}))
	if _, err := b.DeleteSecret(actx, alpha.ID, "A"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.DeleteSecret(actx, alpha.ID, "gone"); err != nil {
		t.Fatal(err)
	}
	must(t, b.PutSealed(actx, nil, beta.ID, "A", "ann", canary))

	got := auditActions(t, b, store.AuditQuery{TenantID: alpha.ID, SecretOnly: true})
	want := []string{"secret.added A ok", "secret.replaced A ok", "secret.added B ok", "secret.deleted A ok", "secret.deleted gone not_found"}
	if !slices.Equal(got, want) {
		t.Fatalf("alpha's secret events = %q, want %q", got, want)
	}
	events, err := b.AuditEvents(ctx, store.AuditQuery{TenantID: alpha.ID, SecretOnly: true})
	must(t, err)
	for _, e := range events {
		if e.Auditor != who || e.KeyName != "laptop" || e.TenantID != alpha.ID || e.Time.IsZero() {
			t.Fatalf("event %+v: want auditor %+v, key name laptop", e, who)
		}
	}

	// Key and member changes; the operator (no auditor) acts with no name.
	must(t, b.CreateKey(ctx, store.NewKey{ID: "k-ci", Hash: "h-ci", Tenant: alpha, Role: store.RoleReadOnlyUser, Name: "ci"}))
	if ok, err := b.DeleteKey(actx, "k-ci"); err != nil || !ok {
		t.Fatalf("revoke: %v %v", ok, err)
	}
	events, err = b.AuditEvents(ctx, store.AuditQuery{TenantID: alpha.ID, Limit: 3})
	must(t, err)
	if len(events) != 3 || events[0].Action != store.AuditKeyRevoked || events[0].Actor != "ann" || events[0].Target != "ci (k-ci)" ||
		events[1].Action != store.AuditKeyCreated || events[1].Actor != "" || events[1].KeyID != "" {
		t.Fatalf("key events = %+v", events)
	}
	all, err := b.AuditEvents(ctx, store.AuditQuery{TenantID: alpha.ID})
	must(t, err)
	if all[len(all)-1].Action != store.AuditMemberChanged || all[len(all)-1].Target != "ann TENANT_ADMIN" {
		t.Fatalf("first event = %+v, want ann's membership", all[len(all)-1])
	}
	if n, err := b.AuditCount(ctx, store.AuditQuery{TenantID: beta.ID}); err != nil || n != 1 {
		t.Fatalf("beta's events = %d, %v; want 1 (teams are apart)", n, err)
	}
	// No event holds the sealed bytes (nor, above the store, the value).
	everything, err := b.AuditEvents(ctx, store.AuditQuery{AllTenants: true})
	must(t, err)
	for _, e := range everything {
		if bytes.Contains([]byte(e.Actor+e.Secret+e.Target+e.KeyName+e.RequestID), []byte("CANARY")) {
			t.Fatalf("event holds the value: %+v", e)
		}
	}
}

func testAuditQueries(t *testing.T, b store.Backend) {
	ctx := t.Context()
	alpha := team(t, b, "alpha")
	old := time.Now().Add(-48 * time.Hour)
	must(t, b.AppendAudit(ctx, store.AuditEvent{Time: old, Action: store.AuditAuthRefused, Outcome: store.OutcomeRefused,
		Auditor: store.Auditor{ClientAddr: "198.51.100.1", RequestID: "r0"}}))
	for _, n := range []string{"A", "B", "A"} {
		must(t, b.PutSealed(ctx, nil, alpha.ID, n, "", []byte("x")))
	}
	if got := auditActions(t, b, store.AuditQuery{TenantID: alpha.ID, Secret: "A"}); len(got) != 2 {
		t.Fatalf("A's events = %q", got)
	}
	if got := auditActions(t, b, store.AuditQuery{TenantID: alpha.ID, Limit: 1, Offset: 1, SecretOnly: true}); !slices.Equal(got, []string{"secret.added B ok"}) {
		t.Fatalf("page 2 of 1 = %q", got)
	}
	if n, _ := b.AuditCount(ctx, store.AuditQuery{AllTenants: true}); n != 4 {
		t.Fatalf("all events = %d, want 4", n)
	}
	if n, _ := b.AuditCount(ctx, store.AuditQuery{}); n != 1 {
		t.Fatalf("events of no team = %d, want 1 (the refused key)", n)
	}
	if n, _ := b.AuditCount(ctx, store.AuditQuery{AllTenants: true, Since: time.Now().Add(-time.Hour)}); n != 3 {
		t.Fatalf("events of the last hour = %d, want 3", n)
	}
	n, err := b.PruneAudit(ctx, time.Now().Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("prune = %d, %v; want 1", n, err)
	}
	if n, _ := b.AuditCount(ctx, store.AuditQuery{AllTenants: true}); n != 3 {
		t.Fatalf("after prune = %d, want 3", n)
	}
}
