package handlers_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

// The History page shows each change with who made it, a rename (the UI's
// set-then-delete, one request) as one row, links each secret to its own
// history, filters by name, and never shows a value or a key.
func TestHistoryShowsEachChangeWithItsActorAndARenameAsOne(t *testing.T) {
	b := uitest.StartBackend(t)
	b.Env.Member(t, "default", localapi.RoleUser, "alice")
	alice := b.Env.Key(t, "default", localapi.RoleUser, "alice")
	u := b.UI(t)
	u.Login(alice)
	const canary = "CANARY-history-5d1e"
	uitest.MustStatus(t, u.AddSecret("default", "OLD_NAME", canary, "text"), http.StatusOK)
	uitest.MustStatus(t, u.Post("/teams/default/secrets/OLD_NAME/rotate", url.Values{"value": {canary}, "new_name": {"NEW_NAME"}}), http.StatusSeeOther)
	uitest.MustStatus(t, u.AddSecret("default", "GONE", canary, "text"), http.StatusOK)
	uitest.MustStatus(t, u.Post("/teams/default/secrets/GONE/delete", nil), http.StatusSeeOther)

	list := u.Get("/teams/default/secrets")
	uitest.MustContain(t, list, `href="/teams/default/history"`)
	p := u.Get("/teams/default/history")
	uitest.MustStatus(t, p, http.StatusOK)
	uitest.MustContain(t, p, "<h1>", "History", "Renamed", "OLD_NAME", "NEW_NAME", "Added", "Deleted", "alice",
		`href="/teams/default/history?secret=NEW_NAME"`, `href="/teams/default/history?secret=GONE"`)
	uitest.MustContain(t, list, `href="/teams/default/history?secret=NEW_NAME"`)
	if strings.Count(p.Body, ">Renamed") != 1 || strings.Contains(p.Body, "127.0.0.1") {
		t.Fatalf("a rename should be one row, and a USER sees no addresses:\n%s", uitest.Excerpt(p.Body))
	}
	for _, secret := range []string{canary, alice, b.Env.AdminKey} {
		if strings.Contains(p.Body, secret) {
			t.Fatal("the History page shows a value or a key")
		}
	}

	one := u.Get("/teams/default/history?secret=GONE")
	uitest.MustStatus(t, one, http.StatusOK)
	uitest.MustContain(t, one, "History of", "GONE", "Added", "Deleted", "All events")
	if strings.Contains(one.Body, "NEW_NAME") {
		t.Fatal("the filter shows other secrets")
	}

	// A TENANT_ADMIN also sees key and member events, and addresses.
	admin := b.UI(t)
	admin.Login(b.Env.AdminKey)
	all := admin.Get("/teams/default/history")
	uitest.MustContain(t, all, "Member changed", "Key created", "127.0.0.1")
}

// Against an API without the audit trail (Prefect Cloud: the field is
// unknown) there is no History link, the page is not found, and the API is
// asked once.
func TestHistoryIsHiddenWithoutTheExtension(t *testing.T) {
	u := uitest.Start(t)
	u.Proxy.Set(uitest.FailOp("ListAuditEvents", http.StatusBadRequest,
		`{"errors":[{"message":"Cannot query field \"audit_events\" on type \"query_root\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`))
	u.Login(u.Env.AdminKey)
	for range 3 {
		p := u.Get("/teams/default/secrets")
		uitest.MustStatus(t, p, http.StatusOK)
		if strings.Contains(p.Body, "/history") {
			t.Fatal("a History link against an API without the audit trail")
		}
	}
	uitest.MustStatus(t, u.Get("/teams/default/history"), http.StatusNotFound)
	if n := u.Proxy.Count("ListAuditEvents"); n != 1 {
		t.Fatalf("the extension was asked for %d times, want once", n)
	}
}

// An import through the Import page records its events under one request
// id, the UI's own (the page answered with it). The History page shows one
// row per secret, each with that id; the API's audit_events says the same.
func TestImportPageRecordsItsEventsUnderTheUIsRequestID(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	const canary = "CANARY-history-import-77a0"
	uitest.MustStatus(t, u.AddSecret("default", "EXISTING", "before", "text"), http.StatusOK)
	p := u.PostUpload("/teams/default/secrets/import", map[string]string{
		"text": "IMP_A=" + canary + "\nIMP_B=" + canary + "\nEXISTING=" + canary + "\n", "existing": "replace", "format": "dotenv",
	}, nil)
	uitest.MustStatus(t, p, http.StatusOK)
	uitest.MustContain(t, p, "Import results")
	id := p.Header.Get("X-Request-ID")
	if id == "" {
		t.Fatal("the Import page answered no X-Request-ID")
	}

	r := u.Env.Do(t, u.Env.AdminKey, "", `query { audit_events(limit: 100) { events { action secret_name request_id } } }`, nil)
	if len(r.Errors) != 0 {
		t.Fatalf("audit_events: %v", r.Errors)
	}
	var page struct {
		Events []struct {
			Action     string
			SecretName string `json:"secret_name"`
			RequestID  string `json:"request_id"`
		}
	}
	if err := json.Unmarshal(r.Data["audit_events"], &page); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range page.Events {
		if e.RequestID == id {
			got[e.SecretName] = e.Action
		}
	}
	want := map[string]string{"IMP_A": "secret.added", "IMP_B": "secret.added", "EXISTING": "secret.replaced"}
	if !maps.Equal(got, want) {
		t.Fatalf("events of request %s = %v, want %v", id, got, want)
	}

	h := u.Get("/teams/default/history")
	uitest.MustStatus(t, h, http.StatusOK)
	if n := strings.Count(h.Body, "<code>"+id+"</code>"); n != 3 {
		t.Fatalf("the History page shows request %s %d times, want 3 (one row per imported secret):\n%s", id, n, uitest.Excerpt(h.Body))
	}
	if strings.Contains(h.Body, canary) || strings.Contains(h.Body, u.Env.AdminKey) {
		t.Fatal("the History page shows a value or a key")
	}
}

// A read-only member has no actions cell, so each row's name links to its
// secret's history instead; the history opens (the secret events only).
func TestReadOnlyMemberHasAHistoryLinkOnEachRow(t *testing.T) {
	b := uitest.StartBackend(t)
	b.Env.Member(t, "default", localapi.RoleReadOnlyUser, "reader")
	admin := b.UI(t)
	admin.Login(b.Env.AdminKey)
	uitest.MustStatus(t, admin.AddSecret("default", "DB_PASSWORD", "CANARY-ro-history", "text"), http.StatusOK)
	ro := b.UI(t)
	ro.Login(b.Env.Key(t, "default", localapi.RoleReadOnlyUser, "reader"))
	list := ro.Get("/teams/default/secrets")
	uitest.MustStatus(t, list, http.StatusOK)
	uitest.MustContain(t, list, `href="/teams/default/history"`,
		`<a href="/teams/default/history?secret=DB_PASSWORD"><code class="name">`, "(history)")
	if strings.Contains(list.Body, `class="actions"`) {
		t.Fatal("a read-only member sees the actions cell")
	}
	h := ro.Get("/teams/default/history?secret=DB_PASSWORD")
	uitest.MustStatus(t, h, http.StatusOK)
	uitest.MustContain(t, h, "History of", "DB_PASSWORD", "Added")
	if strings.Contains(h.Body, "CANARY-ro-history") || strings.Contains(h.Body, "127.0.0.1") {
		t.Fatal("a read-only member sees a value or an address")
	}
	// A writer keeps the name as text and the History action.
	w := admin.Get("/teams/default/secrets")
	if strings.Contains(w.Body, `(history)`) || !strings.Contains(w.Body, `>History<span class="visually-hidden"> of `) {
		t.Fatalf("writer's row:\n%s", uitest.Excerpt(w.Body))
	}
}

// The History page's period filter (?since=, as teamsecrets audit
// --since): a plain GET form, so it works without JavaScript; the pager
// keeps it; a period it cannot read is a 400, not every event.
func TestHistorySinceFilter(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	uitest.MustStatus(t, u.AddSecret("default", "RECENT", "CANARY-since-1", "text"), http.StatusOK)

	day := u.Get("/teams/default/history?since=24h")
	uitest.MustStatus(t, day, http.StatusOK)
	uitest.MustContain(t, day, `<select id="since" name="since"`, `<option value="24h" selected>Last 24 hours</option>`, "RECENT", "All events")
	future := u.Get("/teams/default/history?" + url.Values{"since": {"2999-01-01T00:00:00Z"}, "secret": {"RECENT"}}.Encode())
	uitest.MustStatus(t, future, http.StatusOK)
	uitest.MustContain(t, future, "No events.", `selected>Since 2999-01-01T00:00:00Z</option>`)
	if strings.Contains(future.Body, "Added") {
		t.Fatal("an event before the period")
	}
	uitest.MustStatus(t, u.Get("/teams/default/history?since=yesterday"), http.StatusBadRequest)

	team, _ := u.Env.Store.TenantBySlug(t.Context(), "default")
	values := map[string]json.RawMessage{}
	for i := range 60 {
		values[fmt.Sprintf("BULK_%02d", i)] = json.RawMessage(`"v"`)
	}
	if err := u.Env.Store.PutSecrets(t.Context(), team.ID, values); err != nil {
		t.Fatal(err)
	}
	paged := u.Get("/teams/default/history?since=7d")
	uitest.MustContain(t, paged, `href="/teams/default/history?page=2&amp;since=7d"`)
	if strings.Contains(paged.Body, "CANARY-since") {
		t.Fatal("a value on the History page")
	}
}
