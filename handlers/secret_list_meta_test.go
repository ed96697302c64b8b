package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

// With the local API's list extension, each row says when and by whom it
// was last written, with the exact UTC time in <time datetime> and on
// hover, and the list orders by last update.
func TestListShowsWhoUpdatedWhenAndSortsByUpdated(t *testing.T) {
	b := uitest.StartBackend(t)
	b.Env.Member(t, "default", localapi.RoleUser, "alice")
	alice := b.Env.Key(t, "default", localapi.RoleUser, "alice")
	u := b.UI(t)
	u.Login(alice)
	for _, name := range []string{"OLDEST", "MIDDLE", "NEWEST"} {
		uitest.MustStatus(t, u.AddSecret("default", name, "v", "text"), http.StatusOK)
		time.Sleep(5 * time.Millisecond)
	}
	p := u.Get("/teams/default/secrets")
	uitest.MustStatus(t, p, http.StatusOK)
	uitest.MustContain(t, p, "Updated", "just now", "by alice")
	stamp := regexp.MustCompile(`<time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)" title="(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)">just now</time>`)
	if m := stamp.FindAllStringSubmatch(p.Body, -1); len(m) != 3 || strings.Replace(strings.TrimSuffix(m[0][1], "Z"), "T", " ", 1)+" UTC" != m[0][2] {
		t.Fatalf("time elements: %q", m)
	}
	order := func(p uitest.Page) string {
		re := regexp.MustCompile(`<code class="name">([A-Z]+)</code>`)
		var names []string
		for _, m := range re.FindAllStringSubmatch(p.Body, -1) {
			names = append(names, m[1])
		}
		return strings.Join(names, ",")
	}
	if got := order(p); got != "MIDDLE,NEWEST,OLDEST" {
		t.Fatalf("by name: %s", got)
	}
	if got := order(u.Get("/teams/default/secrets?sort=-updated")); got != "NEWEST,MIDDLE,OLDEST" {
		t.Fatalf("recently updated first: %s", got)
	}
	if got := order(u.Get("/teams/default/secrets?sort=updated")); got != "OLDEST,MIDDLE,NEWEST" {
		t.Fatalf("least recently updated first: %s", got)
	}
	// Rotating moves a secret to the top of "recently updated".
	uitest.MustStatus(t, u.Post("/teams/default/secrets/OLDEST/rotate", map[string][]string{"value": {"w"}}), http.StatusSeeOther)
	if got := order(u.Get("/teams/default/secrets?sort=-updated")); got != "OLDEST,NEWEST,MIDDLE" {
		t.Fatalf("after rotating OLDEST: %s", got)
	}
}

// The list pages on the server: a 1,250-secret team shows page 3 of 25 with
// numbered page links and thousands separators, and a page past the end
// shows the last one.
func TestListPagesOnTheServer(t *testing.T) {
	u := uitest.Start(t)
	team, _ := u.Env.Store.TenantBySlug(t.Context(), "default")
	values := map[string]json.RawMessage{}
	for i := range 1250 {
		values[fmt.Sprintf("S_%04d", i)] = json.RawMessage(`"v"`)
	}
	if err := u.Env.Store.PutSecrets(t.Context(), team.ID, values); err != nil {
		t.Fatal(err)
	}
	u.Login(u.Env.AdminKey)
	p := u.Get("/teams/default/secrets?page=3")
	uitest.MustContain(t, p, "1,250 secrets", "Showing 101–150 of 1,250 secrets", "S_0100", "S_0149", `aria-current="page"`, "Page 3, current", "Page 25", "…")
	if strings.Contains(p.Body, "S_0150") || strings.Contains(p.Body, "S_0099") {
		t.Fatal("rows of other pages shown")
	}
	last := u.Get("/teams/default/secrets?page=999")
	uitest.MustContain(t, last, "Showing 1,201–1,250 of 1,250", "S_1249")
	search := u.Get("/teams/default/secrets?q=s_12&per_page=20")
	uitest.MustContain(t, search, "50 of 1,250 secrets match", "S_1200", "S_1219")
}

// Against an API without the extension (Prefect Cloud: the field is
// unknown), the list falls back to secret_names, without the Updated
// column, and asks for the extension only once.
func TestListFallsBackToNamesWithoutTheExtension(t *testing.T) {
	for _, tc := range []struct{ name, status, body string }{
		{"graphql-go or Apollo", "400", `{"errors":[{"message":"Cannot query field \"secret_list\" on type \"query_root\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`},
		{"Hasura", "200", `{"errors":[{"extensions":{"path":"$.selectionSet.secret_list","code":"validation-failed"},"message":"field \"secret_list\" not found in type: 'query_root'"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := uitest.Start(t)
			u.Login(u.Env.AdminKey)
			status := http.StatusBadRequest
			if tc.status == "200" {
				status = http.StatusOK
			}
			u.Proxy.Set(uitest.FailOp("ListSecretPage", status, tc.body))
			uitest.MustStatus(t, u.AddSecret("default", "B_TOKEN", "v", "text"), http.StatusOK)
			uitest.MustStatus(t, u.AddSecret("default", "a_token", "v", "text"), http.StatusOK)
			for range 3 {
				p := u.Get("/teams/default/secrets?sort=-name")
				uitest.MustStatus(t, p, http.StatusOK)
				uitest.MustContain(t, p, "2 secrets", "B_TOKEN", "a_token")
				if strings.Index(p.Body, "B_TOKEN") > strings.Index(p.Body, "a_token") {
					t.Fatal("Z to A not applied")
				}
				if strings.Contains(p.Body, "<time") || strings.Contains(p.Body, "Recently updated") {
					t.Fatal("the Updated column or order shown without the extension")
				}
			}
			// sort=updated falls back to name order.
			uitest.MustContain(t, u.Get("/teams/default/secrets?sort=-updated"), "B_TOKEN")
			if n := u.Proxy.Count("ListSecretPage"); n != 1 {
				t.Fatalf("the extension was asked for %d times, want once", n)
			}
			if n := u.Proxy.Count("ListSecretNames"); n < 4 {
				t.Fatalf("secret_names asked %d times", n)
			}
		})
	}
}
