package localapi_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

const docAuditEvents = `query($secret_name: String, $since: timestamptz, $limit: Int!, $offset: Int) {
  audit_events(secret_name: $secret_name, since: $since, limit: $limit, offset: $offset) {
    total_count events { id time action outcome secret_name target actor key_id key_name request_id client_address } } }`

type auditedEvent struct {
	ID, Time, Action, Outcome string
	SecretName                *string `json:"secret_name"`
	Target, Actor             *string
	KeyID                     *string `json:"key_id"`
	KeyName                   *string `json:"key_name"`
	RequestID                 *string `json:"request_id"`
	ClientAddress             *string `json:"client_address"`
}

func (e auditedEvent) String() string {
	s := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	subject := e.SecretName
	if subject == nil {
		subject = e.Target
	}
	return e.Action + " " + s(subject) + " by " + s(e.Actor) + " " + e.Outcome
}

type auditedPage struct {
	TotalCount int `json:"total_count"`
	Events     []auditedEvent
}

func auditEvents(t *testing.T, env *apitest.Env, key string, vars map[string]any) auditedPage {
	t.Helper()
	if vars == nil {
		vars = map[string]any{}
	}
	if _, ok := vars["limit"]; !ok {
		vars["limit"] = 100
	}
	r := env.Do(t, key, "", docAuditEvents, vars)
	mustOK(t, r)
	return decode[auditedPage](t, r.Data["audit_events"])
}

// described lists a page's events oldest first, as "action name by actor
// outcome".
func described(p auditedPage) []string {
	var out []string
	for _, e := range slices.Backward(p.Events) {
		out = append(out, e.String())
	}
	return out
}

// rawAudit is every column of every event, straight from the database.
func rawAudit(t *testing.T, env *apitest.Env) string {
	t.Helper()
	if env.DatabaseURL != "" {
		rows, err := localapi.RowsForTest(t.Context(), env.Store, "audit_event")
		if err != nil {
			t.Fatal(err)
		}
		return string(bytes.Join(rows, []byte("\n")))
	}
	db, err := sql.Open("sqlite", filepath.Join(env.DataDir, localapi.DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT * FROM audit_event`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	return b.String()
}

// Every action leaves its event, with who did it; a request's events share
// its id; no event holds a value or a key.
func TestAuditRecordsEachActionWithItsActorAndNeverAValueOrKey(t *testing.T) {
	apitest.EachBackend(t, testAuditRecordsEachActionWithItsActorAndNeverAValueOrKey)
}

func testAuditRecordsEachActionWithItsActorAndNeverAValueOrKey(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	env.Member(t, "default", localapi.RoleUser, "alice")
	alice := env.Key(t, "default", localapi.RoleUser, "alice")
	const canary = "CANARY-value-7f3a9c"
	set := func(key, name string) {
		mustOK(t, env.Do(t, key, "", docSet, map[string]any{"name": name, "value": canary}))
	}
	set(alice, "A")
	set(alice, "A")
	// An import: aliased set_secret in one document.
	mustOK(t, env.Do(t, alice, "", `mutation($v: JSON!) {
	  a: set_secret(input: {name: "IMP_1", value: $v}) { success }
	  b: set_secret(input: {name: "IMP_2", value: $v}) { success } }`, map[string]any{"v": canary}))
	mustOK(t, env.Do(t, alice, "", docDeleteSecret, map[string]any{"name": "A"}))
	mustOK(t, env.Do(t, alice, "", docDeleteSecret, map[string]any{"name": "A"}))
	c := createKey(t, env, env.AdminKey, map[string]any{"name": "ci-deploy"})
	if !revoke(t, env, env.AdminKey, c.ID) {
		t.Fatal("revoke failed")
	}
	// A wrong key (the canary's twin, never to be stored) is refused.
	if r := env.Do(t, "tsk_"+canary, "", `{ secret_names }`, nil); r.Code() != localapi.CodeUnauthenticated {
		t.Fatalf("wrong key: %+v", r)
	}

	p := auditEvents(t, env, env.AdminKey, nil)
	got := described(p)
	want := []string{
		"member.changed admin TENANT_ADMIN by - ok", // bootstrap
		"key.created ", // the bootstrap key
		"member.changed alice USER by - ok",
		"key.created ",
		"secret.added A by alice ok",
		"secret.replaced A by alice ok",
		"secret.added IMP_1 by alice ok",
		"secret.added IMP_2 by alice ok",
		"secret.deleted A by alice ok",
		"secret.deleted A by alice not_found",
		"key.created ci-deploy (" + c.ID + ") TENANT_ADMIN by admin ok",
		"key.revoked ci-deploy (" + c.ID + ") by admin ok",
	}
	if len(got) < len(want) {
		t.Fatalf("events:\n%s", strings.Join(got, "\n"))
	}
	got = got[len(got)-len(want):]
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Fatalf("event %d = %q, want %q...; all:\n%s", i, got[i], want[i], strings.Join(got, "\n"))
		}
	}
	// The import's two events share one request id; other requests differ.
	byAction := map[string]auditedEvent{}
	for _, e := range p.Events {
		if e.SecretName != nil {
			byAction[e.Action+" "+*e.SecretName] = e
		}
	}
	imp1, imp2, add := byAction["secret.added IMP_1"], byAction["secret.added IMP_2"], byAction["secret.added A"]
	if imp1.RequestID == nil || imp2.RequestID == nil || *imp1.RequestID != *imp2.RequestID || *add.RequestID == *imp1.RequestID {
		t.Fatalf("request ids: import %v %v, add %v", imp1.RequestID, imp2.RequestID, add.RequestID)
	}
	if add.KeyID == nil || add.ClientAddress == nil || *add.ClientAddress != "127.0.0.1" {
		t.Fatalf("add = %+v: want the key and the client address", add)
	}

	// The refused key is in no team: the operator's (teamsecrets audit).
	all, err := env.Store.AuditEvents(t.Context(), "", localapi.AuditQuery{Limit: 1})
	if err != nil || len(all) != 1 || all[0].Action != "auth.refused" || all[0].TenantID != "" || all[0].ClientAddr != "127.0.0.1" {
		t.Fatalf("last event = %+v, %v", all, err)
	}

	// Canary: no value and no key, anywhere in the trail.
	raw := rawAudit(t, env)
	apiText, _ := json.Marshal(p)
	for _, secret := range []string{canary, alice, env.AdminKey, c.Key} {
		if strings.Contains(raw, secret) || strings.Contains(string(apiText), secret) {
			t.Fatalf("the trail holds a value or a key (%.8s...)", secret)
		}
	}
	for _, key := range []string{alice, env.AdminKey, c.Key} {
		if strings.Contains(raw, key[:12]) {
			t.Fatal("the trail holds part of a key")
		}
	}
}

// A TENANT_ADMIN sees the whole trail; other roles see secret events only,
// without addresses; a team sees only its own.
func TestAuditEventsVisibilityByRoleAndTeam(t *testing.T) {
	apitest.EachBackend(t, testAuditEventsVisibilityByRoleAndTeam)
}

func testAuditEventsVisibilityByRoleAndTeam(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	env.Member(t, "default", localapi.RoleUser, "alice")
	alice := env.Key(t, "default", localapi.RoleUser, "alice")
	reader := env.Key(t, "default", localapi.RoleReadOnlyUser, "")
	env.Team(t, "other")
	otherKey := env.Key(t, "other", localapi.RoleUser, "")
	mustOK(t, env.Do(t, alice, "", docSet, map[string]any{"name": "A", "value": "v"}))
	mustOK(t, env.Do(t, otherKey, "", docSet, map[string]any{"name": "SECRET_OF_OTHER", "value": "v"}))

	for _, key := range []string{alice, reader} {
		p := auditEvents(t, env, key, nil)
		if p.TotalCount != 1 || len(p.Events) != 1 || p.Events[0].Action != "secret.added" || p.Events[0].ClientAddress != nil {
			t.Fatalf("non-admin sees %+v", p)
		}
	}
	admin := auditEvents(t, env, env.AdminKey, nil)
	if admin.TotalCount < 4 {
		t.Fatalf("admin sees %d events, want the members and keys too", admin.TotalCount)
	}
	for _, e := range admin.Events {
		if e.SecretName != nil && *e.SecretName == "SECRET_OF_OTHER" {
			t.Fatal("another team's event is visible")
		}
	}
	// Filters and paging.
	mustOK(t, env.Do(t, alice, "", docSet, map[string]any{"name": "B", "value": "v"}))
	mustOK(t, env.Do(t, alice, "", docSet, map[string]any{"name": "A", "value": "w"}))
	p := auditEvents(t, env, alice, map[string]any{"secret_name": "A", "limit": 1})
	if p.TotalCount != 2 || len(p.Events) != 1 || p.Events[0].Action != "secret.replaced" {
		t.Fatalf("A's newest = %+v", p)
	}
	p = auditEvents(t, env, alice, map[string]any{"secret_name": "A", "limit": 1, "offset": 1})
	if len(p.Events) != 1 || p.Events[0].Action != "secret.added" {
		t.Fatalf("A's older = %+v", p)
	}
	if p := auditEvents(t, env, alice, map[string]any{"since": "2999-01-01T00:00:00Z"}); p.TotalCount != 0 {
		t.Fatalf("since the future: %+v", p)
	}
	if r := env.Do(t, alice, "", docAuditEvents, map[string]any{"limit": 101}); r.Code() != localapi.CodeBadUserInput {
		t.Fatalf("limit 101: %+v", r)
	}
}

// A client's X-Request-ID is kept (when it is a plain token) and returned;
// otherwise the API makes one.
func TestAuditKeepsAClientsRequestID(t *testing.T) {
	apitest.EachBackend(t, testAuditKeepsAClientsRequestID)
}

func testAuditKeepsAClientsRequestID(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	post := func(id string) string {
		body, _ := json.Marshal(map[string]any{"query": docSet, "variables": map[string]any{"name": "A", "value": "v"}})
		req, _ := http.NewRequest(http.MethodPost, env.URL, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+env.AdminKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-ID", id)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header.Get("X-Request-ID")
	}
	if got := post("ui-rename-42"); got != "ui-rename-42" {
		t.Fatalf("X-Request-ID answered %q", got)
	}
	if got := post("<script>"); got == "<script>" || got == "" {
		t.Fatalf("a hostile id was kept: %q", got)
	}
	p := auditEvents(t, env, env.AdminKey, map[string]any{"secret_name": "A"})
	if *p.Events[1].RequestID != "ui-rename-42" || *p.Events[0].RequestID == "<script>" {
		t.Fatalf("request ids = %v, %v", *p.Events[1].RequestID, *p.Events[0].RequestID)
	}
}

// A flood of wrong keys from one address is recorded once a minute.
func TestAuditRecordsRefusedAuthenticationsBounded(t *testing.T) {
	apitest.EachBackend(t, testAuditRecordsRefusedAuthenticationsBounded)
}

func testAuditRecordsRefusedAuthenticationsBounded(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	for range 5 {
		env.Do(t, "tsk_wrong", "", `{ secret_names }`, nil)
	}
	events, err := env.Store.AuditEvents(t.Context(), "", localapi.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Action == "auth.refused" {
			n++
			if e.ClientAddr != "127.0.0.1" || e.RequestID == "" || e.Target != "unknown key" {
				t.Fatalf("refusal = %+v", e)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d refusals recorded, want 1 a minute per address", n)
	}
}

// The audit table is append-only in the database itself: an UPDATE of an
// event is refused by its trigger, whoever holds the file, and the event
// is left as it was. (A DELETE is not refused: retention prunes with one,
// and nothing but retention deletes.)
func TestAuditEventsCannotBeUpdatedInTheDatabase(t *testing.T) {
	env := apitest.Start(t)
	mustOK(t, env.Do(t, env.AdminKey, "", docSet, map[string]any{"name": "A", "value": "v"}))
	before := rawAudit(t, env)
	if !strings.Contains(before, "secret.added") {
		t.Fatalf("no event to change:\n%s", before)
	}
	db, err := sql.Open("sqlite", filepath.Join(env.DataDir, localapi.DBFile)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{
		`UPDATE audit_event SET actor = 'someone else'`,
		`UPDATE audit_event SET outcome = 'ok', secret = 'B' WHERE action = 'secret.added'`,
		`UPDATE audit_event SET at = '1970-01-01T00:00:00Z'`,
	} {
		_, err := db.Exec(stmt)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the trigger's refusal", stmt, err)
		}
	}
	if after := rawAudit(t, env); after != before {
		t.Fatalf("events changed:\n%s\nwant\n%s", after, before)
	}
}
