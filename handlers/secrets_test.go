package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

func TestSignInWithKeyAndSignOut(t *testing.T) {
	u := uitest.Start(t)
	uitest.MustStatus(t, u.Get("/"), http.StatusSeeOther)
	if loc := u.Get("/").Location(); loc != "/login" {
		t.Fatalf("/ redirects to %q", loc)
	}
	if loc := u.Get("/teams/default/secrets").Location(); loc != "/login" {
		t.Fatalf("a team page without a session redirects to %q", loc)
	}

	bad := u.Post("/login", url.Values{"key": {"tsk_wrong"}})
	uitest.MustStatus(t, bad, http.StatusUnauthorized)
	uitest.MustContain(t, bad, "That API key was not accepted.", `aria-describedby="key-help key-error"`)
	uitest.MustStatus(t, u.Post("/login", url.Values{"key": {""}}), http.StatusUnprocessableEntity)

	list := u.Login(u.Env.AdminKey)
	uitest.MustStatus(t, list, http.StatusOK)
	uitest.MustContain(t, list, "Signed in as admin.", "No secrets yet", "Default team")
	if loc := u.Get("/").Location(); loc != "/teams/default/secrets" {
		t.Fatalf("/ redirects to %q when signed in", loc)
	}
	if loc := u.Get("/login").Location(); loc != "/teams/default/secrets" {
		t.Fatalf("/login redirects to %q when signed in", loc)
	}

	out := u.Post("/logout", nil)
	uitest.MustStatus(t, out, http.StatusSeeOther)
	uitest.MustContain(t, u.Follow(out), "You signed out.")
	if loc := u.Get("/teams/default/secrets").Location(); loc != "/login" {
		t.Fatalf("after sign-out the list redirects to %q", loc)
	}
}

func TestTeamKeyWithoutUserSignsInThroughAuthInfo(t *testing.T) {
	u := uitest.Start(t)
	key := u.Env.Key(t, "default", localapi.RoleUser, "")
	list := u.Login(key)
	uitest.MustContain(t, list, "Signed in as a team key.", "Default team", "Add secret")
}

func TestListSearchSortAndPaginate(t *testing.T) {
	u := uitest.Start(t)
	team, _ := u.Env.Store.TenantBySlug(t.Context(), "default")
	for i := range 60 {
		name := fmt.Sprintf("SECRET_%02d", i)
		if i%10 == 0 {
			name = fmt.Sprintf("github_token_%02d", i)
		}
		if err := u.Env.Store.PutSecret(t.Context(), team.ID, name, json.RawMessage(`"v"`)); err != nil {
			t.Fatal(err)
		}
	}
	u.Login(u.Env.AdminKey)

	tests := []struct {
		name, query string
		first, last string
		count       int
		contains    []string
		absent      []string
	}{
		{"first page of 50", "", "github_token_00", "SECRET_48", 50, []string{"Showing 1–50 of 60 secrets", "Page 1 of 2", `rel="next"`}, nil},
		{"second page", "?page=2", "SECRET_49", "SECRET_59", 10, []string{"Showing 51–60 of 60", `rel="prev"`}, []string{`rel="next"`}},
		{"20 per page, page 3", "?per_page=20&page=3", "SECRET_38", "SECRET_59", 20, []string{"Showing 41–60 of 60", "Page 3 of 3"}, nil},
		{"page past the end shows the last", "?page=99&per_page=100", "github_token_00", "SECRET_59", 60, []string{"Showing 1–60"}, []string{"Page 1 of"}},
		{"descending", "?sort=-name&per_page=20", "SECRET_59", "SECRET_38", 20, []string{`aria-sort="descending"`}, nil},
		{"search ignores case", "?q=GITHUB", "github_token_00", "github_token_50", 6, []string{"6 of 60 secrets match"}, []string{"SECRET_01"}},
		{"bad paging values fall back", "?page=-3&per_page=7&sort=bogus", "github_token_00", "SECRET_48", 50, []string{"Showing 1–50"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := u.Get("/teams/default/secrets" + tt.query)
			uitest.MustStatus(t, p, http.StatusOK)
			rows := rowNames(p.Body)
			if len(rows) != tt.count || rows[0] != tt.first || rows[len(rows)-1] != tt.last {
				t.Fatalf("rows: %d, first %q, last %q; want %d, %q, %q", len(rows), rows[0], rows[len(rows)-1], tt.count, tt.first, tt.last)
			}
			uitest.MustContain(t, p, tt.contains...)
			for _, s := range tt.absent {
				if strings.Contains(p.Body, s) {
					t.Errorf("page holds %q", s)
				}
			}
		})
	}
	none := u.Get("/teams/default/secrets?q=nothing-like-this")
	uitest.MustContain(t, none, "Nothing matches", "Show all secrets")
}

// rowNames are the secret names in the list table, in order. (A <wbr>
// marks where a long name may wrap; it is no part of the text.)
func rowNames(body string) []string {
	var names []string
	for _, part := range strings.Split(body, `<code class="name">`)[1:] {
		names = append(names, htmlUnescape(strings.ReplaceAll(part[:strings.Index(part, "</code>")], "<wbr>", "")))
	}
	if len(names) == 0 {
		return []string{""}
	}
	return names
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&amp;", "&")
	return r.Replace(s)
}

func TestAddTextAndJSONSecrets(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	list := u.AddSecret("default", "GITHUB_TOKEN", "ghp_line1\r\nline2", "text")
	uitest.MustContain(t, list, "Secret GITHUB_TOKEN added.", "GITHUB_TOKEN")
	if v, _ := u.Value(u.Env.AdminKey, "", "GITHUB_TOKEN"); v != `"ghp_line1\nline2"` {
		t.Fatalf("text value stored as %s", v)
	}
	list = u.AddSecret("default", "db.config", `{"user": "app", "port": 5432}`, "json")
	uitest.MustContain(t, list, "Secret db.config added.", "cannot be overridden")
	if v, _ := u.Value(u.Env.AdminKey, "", "db.config"); v != `{"port":5432,"user":"app"}` && v != `{"user":"app","port":5432}` {
		t.Fatalf("json value stored as %s", v)
	}
}

func TestAddRejectsBadInputAndKeepsNothing(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	big := strings.Repeat("x", 64<<10)
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   []string
	}{
		{"invalid name", url.Values{"name": {"9lives"}, "value": {"v"}}, 422, []string{"Name must start with a letter or an underscore.", `aria-describedby="name-help name-env name-error"`, "enter it again"}},
		{"html in name", url.Values{"name": {"<b>x</b>"}, "value": {"v"}}, 422, []string{"Name may contain only", "&lt;b&gt;x&lt;/b&gt;"}},
		{"missing value", url.Values{"name": {"EMPTY"}, "value": {""}}, 422, []string{"Enter a value."}},
		{"bad json", url.Values{"name": {"J"}, "value": {"{\n  \"a\": 1,\n  oops\n}"}, "type": {"json"}}, 422, []string{"The JSON is not valid at line 3, column 3."}},
		{"truncated json", url.Values{"name": {"J"}, "value": {`{"a": [1, 2`}, "type": {"json"}}, 422, []string{"The JSON ends too early"}},
		{"json with trailing data", url.Values{"name": {"J"}, "value": {`{} {}`}, "type": {"json"}}, 422, []string{"extra content"}},
		{"oversized value", url.Values{"name": {"BIG"}, "value": {big}}, 422, []string{"larger than the 64 KiB limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := u.Post("/teams/default/secrets", tt.form)
			uitest.MustStatus(t, p, tt.status)
			uitest.MustContain(t, p, tt.want...)
			if v := tt.form.Get("value"); len(v) > 3 && strings.Contains(p.Body, v) {
				t.Error("the page echoes the submitted value")
			}
			if strings.Contains(p.Body, "oops") {
				t.Error("the JSON error quotes the input")
			}
			if !strings.Contains(p.Body, `<textarea id="value" name="value" rows="6" required autocomplete="off" spellcheck="false" autocapitalize="off"`) ||
				!strings.Contains(p.Body, "></textarea>") {
				t.Error("the value field is not rendered empty")
			}
		})
	}
	if n := u.Names(u.Env.AdminKey); len(n) != 0 {
		t.Fatalf("rejected submissions left secrets %v", n)
	}
}

func TestAddExistingNameNeedsOverwriteConfirmation(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "API_TOKEN", "first", "text")

	p := u.Post("/teams/default/secrets", url.Values{"name": {"API_TOKEN"}, "value": {"second"}})
	uitest.MustStatus(t, p, http.StatusConflict)
	uitest.MustContain(t, p, "A secret named API_TOKEN already exists.", `name="overwrite"`, "enter it again")
	if v, _ := u.Value(u.Env.AdminKey, "", "API_TOKEN"); v != `"first"` {
		t.Fatalf("overwritten without confirmation: %s", v)
	}

	p = u.Post("/teams/default/secrets", url.Values{"name": {"API_TOKEN"}, "value": {"second"}, "overwrite": {"1"}})
	uitest.MustStatus(t, p, http.StatusSeeOther)
	uitest.MustContain(t, u.Follow(p), "Secret API_TOKEN saved.")
	if v, _ := u.Value(u.Env.AdminKey, "", "API_TOKEN"); v != `"second"` {
		t.Fatalf("value after confirmed overwrite: %s", v)
	}
}

func TestRotateChangesValueWithBlankForm(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "ROTATE_ME", "old-value-123", "text")

	form := u.Get("/teams/default/secrets/ROTATE_ME/rotate")
	uitest.MustStatus(t, form, http.StatusOK)
	uitest.MustContain(t, form, "Rotate", "ROTATE_ME", "></textarea>")
	if strings.Contains(form.Body, "old-value-123") {
		t.Fatal("rotate form shows the stored value")
	}
	p := u.Post("/teams/default/secrets/ROTATE_ME/rotate", url.Values{"value": {`{"k": 1}`}, "type": {"json"}})
	uitest.MustStatus(t, p, http.StatusSeeOther)
	uitest.MustContain(t, u.Follow(p), "Secret ROTATE_ME rotated.")
	if v, _ := u.Value(u.Env.AdminKey, "", "ROTATE_ME"); v != `{"k":1}` {
		t.Fatalf("rotated value %s", v)
	}
	uitest.MustStatus(t, u.Get("/teams/default/secrets/NOPE/rotate"), http.StatusNotFound)
	uitest.MustStatus(t, u.Post("/teams/default/secrets/NOPE/rotate", url.Values{"value": {"x"}}), http.StatusNotFound)
	if _, ok := u.Value(u.Env.AdminKey, "", "NOPE"); ok {
		t.Fatal("rotating a missing secret created it")
	}
}

func TestRenameSetsNewNameThenDeletesOld(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "OLD_NAME", "v1", "text")
	u.AddSecret("default", "TAKEN", "t", "text")

	p := u.Post("/teams/default/secrets/OLD_NAME/rotate", url.Values{"value": {"v2"}, "new_name": {"bad name"}})
	uitest.MustStatus(t, p, http.StatusUnprocessableEntity)
	uitest.MustContain(t, p, "Name may contain only", `value="bad name"`)

	p = u.Post("/teams/default/secrets/OLD_NAME/rotate", url.Values{"value": {"v2"}, "new_name": {"TAKEN"}})
	uitest.MustStatus(t, p, http.StatusConflict)
	uitest.MustContain(t, p, "A secret named TAKEN already exists.")

	p = u.Post("/teams/default/secrets/OLD_NAME/rotate", url.Values{"value": {"v2"}, "new_name": {"NEW_NAME"}})
	uitest.MustStatus(t, p, http.StatusSeeOther)
	uitest.MustContain(t, u.Follow(p), "Secret OLD_NAME renamed to NEW_NAME, with the new value.")
	if got := strings.Join(u.Names(u.Env.AdminKey), ","); got != "NEW_NAME,TAKEN" {
		t.Fatalf("names after rename: %s", got)
	}
	if v, _ := u.Value(u.Env.AdminKey, "", "NEW_NAME"); v != `"v2"` {
		t.Fatalf("renamed value %s", v)
	}
}

func TestRenameKeepsOldSecretWhenSetFails(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "KEEP_ME", "precious", "text")
	u.Proxy.Set(uitest.FailOp("SetSecret", 500, `{"errors":[{"message":"boom"}]}`))
	p := u.Post("/teams/default/secrets/KEEP_ME/rotate", url.Values{"value": {"v2"}, "new_name": {"MOVED"}})
	uitest.MustStatus(t, p, http.StatusBadGateway)
	uitest.MustContain(t, p, "HTTP 500", "Nothing was saved", "enter it again")
	if got := u.Proxy.Count("DeleteSecret"); got != 0 {
		t.Fatalf("delete was sent %d times after a failed set", got)
	}
	if v, _ := u.Value(u.Env.AdminKey, "", "KEEP_ME"); v != `"precious"` {
		t.Fatalf("old secret after failed rename: %s", v)
	}
	if _, ok := u.Value(u.Env.AdminKey, "", "MOVED"); ok {
		t.Fatal("new name exists after failed set")
	}
}

func TestRenameSaysBothNamesExistWhenDeleteFails(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "FROM", "v1", "text")
	u.Proxy.Set(uitest.FailOp("DeleteSecret", 503, `{"errors":[{"message":"maintenance"}]}`))
	p := u.Post("/teams/default/secrets/FROM/rotate", url.Values{"value": {"v2"}, "new_name": {"TO"}})
	uitest.MustStatus(t, p, http.StatusBadGateway)
	uitest.MustContain(t, p, "Renamed, but the old name remains", "saved as TO", "FROM could not be deleted", "Both names now exist")
	if got := u.Proxy.Count("DeleteSecret"); got != 1 {
		t.Fatalf("delete sent %d times; it must never be retried", got)
	}
	if got := strings.Join(u.Names(u.Env.AdminKey), ","); got != "FROM,TO" {
		t.Fatalf("names: %s", got)
	}
}

func TestDeleteAsksThenDeletes(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "DOOMED", "v", "text")
	confirm := u.Get("/teams/default/secrets/DOOMED/delete")
	uitest.MustStatus(t, confirm, http.StatusOK)
	uitest.MustContain(t, confirm, "Delete <code>DOOMED</code>?", `<button type="submit" class="button danger">Delete secret</button>`)
	if len(u.Names(u.Env.AdminKey)) != 1 {
		t.Fatal("the confirmation page deleted")
	}
	p := u.Post("/teams/default/secrets/DOOMED/delete", nil)
	uitest.MustStatus(t, p, http.StatusSeeOther)
	uitest.MustContain(t, u.Follow(p), "Secret DOOMED deleted.")
	if len(u.Names(u.Env.AdminKey)) != 0 {
		t.Fatal("not deleted")
	}
	uitest.MustStatus(t, u.Get("/teams/default/secrets/DOOMED/delete"), http.StatusNotFound)
	again := u.Post("/teams/default/secrets/DOOMED/delete", nil)
	uitest.MustContain(t, u.Follow(again), "Secret DOOMED was already deleted.")
}

func TestReadOnlyMemberSeesNoWriteActionsAndIsRefused(t *testing.T) {
	u := uitest.Start(t)
	u.Env.Key(t, "default", localapi.RoleUser, "")
	team, _ := u.Env.Store.TenantBySlug(t.Context(), "default")
	u.Env.Store.PutSecret(t.Context(), team.ID, "VISIBLE", json.RawMessage(`"v"`))
	u.Env.Member(t, "default", localapi.RoleReadOnlyUser, "reader")
	ro := u.Env.Key(t, "default", localapi.RoleReadOnlyUser, "reader")
	list := u.Login(ro)
	uitest.MustContain(t, list, "VISIBLE", "read-only access")
	for _, s := range []string{"Add secret", "/rotate", "/delete"} {
		if strings.Contains(list.Body, s) {
			t.Errorf("read-only list shows %q", s)
		}
	}
	for _, path := range []string{"/teams/default/secrets/new", "/teams/default/secrets/VISIBLE/rotate", "/teams/default/secrets/VISIBLE/delete"} {
		uitest.MustStatus(t, u.Get(path), http.StatusForbidden)
	}
	for path, form := range map[string]url.Values{
		"/teams/default/secrets":                {"name": {"NEW"}, "value": {"v"}},
		"/teams/default/secrets/VISIBLE/rotate": {"value": {"v2"}},
		"/teams/default/secrets/VISIBLE/delete": {},
	} {
		p := u.Post(path, form)
		uitest.MustStatus(t, p, http.StatusForbidden)
		uitest.MustContain(t, p, "read-only access")
	}
	if v, _ := u.Value(u.Env.AdminKey, "", "VISIBLE"); v != `"v"` || len(u.Names(u.Env.AdminKey)) != 1 {
		t.Fatal("a read-only member changed something")
	}
}

func TestTeamSwitchingAndIsolation(t *testing.T) {
	u := uitest.Start(t)
	u.Env.Team(t, "ops")
	u.Env.Team(t, "strangers")
	if err := u.Env.Store.AddMember(t.Context(), "ops", localapi.RoleReadOnlyUser, "admin"); err != nil {
		t.Fatal(err)
	}
	opsAdmin := u.Env.Key(t, "ops", localapi.RoleTenantAdmin, "")
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "ONLY_DEFAULT", "v", "text")

	list := u.Get("/teams/default/secrets")
	uitest.MustContain(t, list, `aria-label="Switch team"`, `href="/teams/ops/secrets"`, `aria-current="page">Default team`, "read-only")

	ops := u.Get("/teams/ops/secrets")
	uitest.MustStatus(t, ops, http.StatusOK)
	uitest.MustContain(t, ops, "Team ops", "No secrets yet", "read-only access")
	if strings.Contains(ops.Body, "ONLY_DEFAULT") {
		t.Fatal("another team's secret shows in ops")
	}
	if loc := u.Get("/").Location(); loc != "/teams/ops/secrets" {
		t.Fatalf("/ goes to %q, not the team in use", loc)
	}
	p := u.Post("/teams/ops/secrets", url.Values{"name": {"X"}, "value": {"v"}})
	uitest.MustStatus(t, p, http.StatusForbidden)
	if n := u.Names(opsAdmin); len(n) != 0 {
		t.Fatalf("ops got %v", n)
	}
	uitest.MustStatus(t, u.Get("/teams/strangers/secrets"), http.StatusNotFound)
	uitest.MustStatus(t, u.Post("/teams/strangers/secrets", url.Values{"name": {"X"}, "value": {"v"}}), http.StatusNotFound)
}

func TestNamesThatBreakURLsAreListedRotatedAndDeleted(t *testing.T) {
	u := uitest.Start(t)
	team, _ := u.Env.Store.TenantBySlug(t.Context(), "default")
	odd := []string{"a/b", "100%", "what?", "#hash", "with space", "..", "<script>alert(1)</script>", "ünïcødé", strings.Repeat("L", 255)}
	for _, n := range odd {
		if err := u.Env.Store.PutSecret(t.Context(), team.ID, n, json.RawMessage(`"old"`)); err != nil {
			t.Fatal(err)
		}
	}
	u.Login(u.Env.AdminKey)
	list := u.Get("/teams/default/secrets?per_page=20")
	if strings.Contains(list.Body, "<script>alert") {
		t.Fatal("a name is not escaped")
	}
	if got := len(rowNames(list.Body)); got != len(odd) {
		t.Fatalf("listed %d of %d", got, len(odd))
	}
	for _, n := range odd {
		t.Run(n[:min(len(n), 12)], func(t *testing.T) {
			seg := url.PathEscape(n)
			if seg == ".." {
				seg = "%2E%2E"
			}
			if !strings.Contains(list.Body, "/teams/default/secrets/"+strings.ReplaceAll(seg, "&", "&amp;")+"/rotate") {
				t.Fatalf("no rotate link %q", seg)
			}
			uitest.MustStatus(t, u.Get("/teams/default/secrets/"+seg+"/rotate"), http.StatusOK)
			p := u.Post("/teams/default/secrets/"+seg+"/rotate", url.Values{"value": {"new"}})
			uitest.MustStatus(t, p, http.StatusSeeOther)
			if v, _ := u.Value(u.Env.AdminKey, "", n); v != `"new"` {
				t.Fatalf("value after rotate: %s", v)
			}
			uitest.MustStatus(t, u.Get("/teams/default/secrets/"+seg+"/delete"), http.StatusOK)
			uitest.MustStatus(t, u.Post("/teams/default/secrets/"+seg+"/delete", nil), http.StatusSeeOther)
			if _, ok := u.Value(u.Env.AdminKey, "", n); ok {
				t.Fatal("not deleted")
			}
		})
	}
}

func TestGeneratedClientHasNoSecretValueOperation(t *testing.T) {
	generated, err := os.ReadFile("../cloud/generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(generated), "secret_names") {
		t.Fatal("cloud/generated.go is not the generated client")
	}
	if strings.Contains(string(generated), "secret_value") {
		t.Fatal("the generated client contains a secret_value operation")
	}
	ops, _ := filepath.Glob("../cloud/operations/*.graphql")
	if len(ops) == 0 {
		t.Fatal("no operations found")
	}
	for _, f := range ops {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), "secret_value") {
			t.Fatalf("%s uses secret_value", f)
		}
	}
}
