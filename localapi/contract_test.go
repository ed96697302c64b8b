package localapi_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

// The documents real clients send, exactly as DESIGN.md lists them.
const (
	docSecretNames      = `query { secret_names }`
	docTenantSecretName = `query TenantSecretNames { secret_names }`
	docSecretValue      = `query($name: String!) { secret_value(name: $name) }`
	docSetInline        = `mutation { set_secret(input: { name: "KEY", value: "VALUE" }) { success } }`
	docSetSecret        = `mutation SetSecret($name: String!, $value: JSON!) {
  set_secret(input: { name: $name, value: $value }) { success } }`
	docDeleteSecret = `mutation DeleteSecret($name: String!) {
  delete_secret(input: { name: $name }) { success } }`
	docAuthInfo    = `query { auth_info { tenant_id } }`
	docTenants     = `query { tenant(order_by: {slug: asc}) { id slug name } }`
	docTenantBySlg = `query($slug: String) { tenant(where: {slug: { _eq: $slug } }) { id } }`
	docUser        = `query User { user { id username email settings default_membership_id
  first_name last_name memberships { id tenant { id name slug }
  role_detail { id name } } } }`
)

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

func mustOK(t *testing.T, r apitest.Response) {
	t.Helper()
	if len(r.Errors) > 0 || r.Status != 200 {
		t.Fatalf("status %d, errors %+v", r.Status, r.Errors)
	}
}

func TestEveryDesignDocumentWorksAsWritten(t *testing.T) {
	apitest.EachBackend(t, testEveryDesignDocumentWorksAsWritten)
}

func testEveryDesignDocumentWorksAsWritten(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	key := env.AdminKey

	// Inline literal form.
	r := env.Do(t, key, "", docSetInline, nil)
	mustOK(t, r)
	if got := decode[struct{ Success bool }](t, r.Data["set_secret"]); !got.Success {
		t.Fatalf("set_secret inline: %s", r.Data["set_secret"])
	}

	// Variable form with every kind of JSON value.
	values := map[string]any{
		"TEXT":   "s3cr3t",
		"NUMBER": json.Number("12345678901234567890"),
		"OBJECT": map[string]any{"user": "u", "ports": []any{1, 2}},
		"BOOL":   true,
	}
	for name, v := range values {
		mustOK(t, env.Do(t, key, "", docSetSecret, map[string]any{"name": name, "value": v}))
	}

	for _, doc := range []string{docSecretNames, docTenantSecretName} {
		r := env.Do(t, key, "", doc, nil)
		mustOK(t, r)
		got := decode[[]string](t, r.Data["secret_names"])
		want := []string{"BOOL", "KEY", "NUMBER", "OBJECT", "TEXT"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: got %v want %v", doc, got, want)
		}
	}

	for name, want := range map[string]string{
		"KEY":    `"VALUE"`,
		"TEXT":   `"s3cr3t"`,
		"NUMBER": `12345678901234567890`,
		"OBJECT": `{"ports":[1,2],"user":"u"}`,
		"BOOL":   `true`,
	} {
		r := env.Do(t, key, "", docSecretValue, map[string]any{"name": name})
		mustOK(t, r)
		if got := string(r.Data["secret_value"]); got != want {
			t.Errorf("secret_value(%s) = %s, want %s", name, got, want)
		}
	}

	r = env.Do(t, key, "", docDeleteSecret, map[string]any{"name": "KEY"})
	mustOK(t, r)
	if got := decode[struct{ Success bool }](t, r.Data["delete_secret"]); !got.Success {
		t.Fatal("delete_secret did not succeed")
	}
	r = env.Do(t, key, "", docSecretValue, map[string]any{"name": "KEY"})
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "No value found for the requested key") {
		t.Fatalf("deleted secret still readable: %+v", r)
	}

	team, err := env.Store.TenantBySlug(t.Context(), "default")
	if err != nil {
		t.Fatal(err)
	}
	r = env.Do(t, key, "", docAuthInfo, nil)
	mustOK(t, r)
	if got := decode[struct {
		TenantID string `json:"tenant_id"`
	}](t, r.Data["auth_info"]); got.TenantID != team.ID {
		t.Fatalf("auth_info.tenant_id = %q, want %q", got.TenantID, team.ID)
	}

	env.Team(t, "alpha")
	if err := env.Store.AddMember(t.Context(), "alpha", localapi.RoleUser, "admin"); err != nil {
		t.Fatal(err)
	}
	r = env.Do(t, key, "", docTenants, nil)
	mustOK(t, r)
	type tenant struct{ ID, Slug, Name string }
	tenants := decode[[]tenant](t, r.Data["tenant"])
	if len(tenants) != 2 || tenants[0].Slug != "alpha" || tenants[1].Slug != "default" {
		t.Fatalf("tenant(order_by slug asc) = %+v", tenants)
	}

	r = env.Do(t, key, "", docTenantBySlg, map[string]any{"slug": "default"})
	mustOK(t, r)
	if got := decode[[]tenant](t, r.Data["tenant"]); len(got) != 1 || got[0].ID != team.ID {
		t.Fatalf("tenant(where slug) = %+v", got)
	}

	r = env.Do(t, key, "", docUser, nil)
	mustOK(t, r)
	users := decode[[]struct {
		Username            string
		DefaultMembershipID string `json:"default_membership_id"`
		Memberships         []struct {
			ID         string
			Tenant     tenant
			RoleDetail struct{ Name string } `json:"role_detail"`
		}
	}](t, r.Data["user"])
	if len(users) != 1 || users[0].Username != "admin" || len(users[0].Memberships) != 2 {
		t.Fatalf("user = %+v", users)
	}
	var defaultRole string
	for _, m := range users[0].Memberships {
		if m.ID == users[0].DefaultMembershipID {
			defaultRole = m.Tenant.Slug + "/" + m.RoleDetail.Name
		}
	}
	if defaultRole != "default/TENANT_ADMIN" {
		t.Fatalf("default membership = %q", defaultRole)
	}
}

// The Prefect 1.x Python client sends variables as a JSON-encoded string.
func TestVariablesAsJSONStringLikeThePythonClient(t *testing.T) {
	apitest.EachBackend(t, testVariablesAsJSONStringLikeThePythonClient)
}

func testVariablesAsJSONStringLikeThePythonClient(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	body := `{"query": "mutation SetSecret($name: String!, $value: JSON!) { set_secret(input: { name: $name, value: $value }) { success } }",
		"variables": "{\"name\": \"PY\", \"value\": {\"a\": 1}}"}`
	mustOK(t, env.Post(t, env.AdminKey, "", []byte(body)))
	body = `{"query": "query { secret_names }", "variables": "null"}`
	r := env.Post(t, env.AdminKey, "", []byte(body))
	mustOK(t, r)
	if got := string(r.Data["secret_names"]); got != `["PY"]` {
		t.Fatalf("secret_names = %s", got)
	}
}

func TestAuthErrors(t *testing.T) { apitest.EachBackend(t, testAuthErrors) }

func testAuthErrors(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	otherID := env.Team(t, "other")
	readOnly := env.Key(t, "default", localapi.RoleReadOnlyUser, "")
	user := env.Key(t, "default", localapi.RoleUser, "")
	defaultTeam, _ := env.Store.TenantBySlug(t.Context(), "default")
	setDoc := docSetSecret
	setVars := map[string]any{"name": "A", "value": "v"}

	tests := []struct {
		name, key, tenant, doc string
		vars                   any
		code                   string
	}{
		{"missing key", "", "", docSecretNames, nil, localapi.CodeUnauthenticated},
		{"unknown key", "tsk_nope", "", docSecretNames, nil, localapi.CodeUnauthenticated},
		{"unknown key on write", "tsk_nope", "", setDoc, setVars, localapi.CodeUnauthenticated},
		{"team without membership", env.AdminKey, otherID, docSecretNames, nil, localapi.CodeForbidden},
		{"team id not a uuid", env.AdminKey, "default", docSecretNames, nil, localapi.CodeForbidden},
		{"service key in another team", user, otherID, docSecretNames, nil, localapi.CodeForbidden},
		{"read-only set", readOnly, "", setDoc, setVars, localapi.CodeForbidden},
		{"read-only delete", readOnly, "", docDeleteSecret, map[string]any{"name": "A"}, localapi.CodeForbidden},
		{"read-only value", readOnly, "", docSecretValue, map[string]any{"name": "A"}, localapi.CodeForbidden},
		{"read-only inline set", readOnly, defaultTeam.ID, docSetInline, nil, localapi.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.Do(t, tt.key, tt.tenant, tt.doc, tt.vars)
			if r.Code() != tt.code {
				t.Fatalf("code = %q, want %q (%+v)", r.Code(), tt.code, r.Errors)
			}
		})
	}
	// Nothing was written by any refused request.
	r := env.Do(t, env.AdminKey, "", docSecretNames, nil)
	if got := string(r.Data["secret_names"]); got != `[]` {
		t.Fatalf("refused writes left names %s", got)
	}
	// Read-only members may still list names.
	mustOK(t, env.Do(t, readOnly, "", docSecretNames, nil))
	// The api query needs no key.
	mustOK(t, env.Do(t, "", "", `query { api { backend version } }`, nil))
}

func TestInputLimits(t *testing.T) { apitest.EachBackend(t, testInputLimits) }

func testInputLimits(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	big := strings.Repeat("x", localapi.MaxValueBytes)
	tests := []struct {
		name  string
		vars  map[string]any
		code  string
		inMsg string
	}{
		{"oversized value", map[string]any{"name": "BIG", "value": big}, localapi.CodeBadUserInput, "limit"},
		{"name starts with digit", map[string]any{"name": "1ABC", "value": "v"}, localapi.CodeBadUserInput, "start"},
		{"name with space", map[string]any{"name": "A B", "value": "v"}, localapi.CodeBadUserInput, "only letters"},
		{"empty name", map[string]any{"name": "", "value": "v"}, localapi.CodeBadUserInput, "required"},
		{"name too long", map[string]any{"name": strings.Repeat("A", 256), "value": "v"}, localapi.CodeBadUserInput, "255"},
		{"script in name", map[string]any{"name": "<script>", "value": "v"}, localapi.CodeBadUserInput, "Invalid secret name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.Do(t, env.AdminKey, "", docSetSecret, tt.vars)
			if r.Code() != tt.code || !strings.Contains(r.Errors[0].Message, tt.inMsg) {
				t.Fatalf("got %+v, want %s containing %q", r.Errors, tt.code, tt.inMsg)
			}
		})
	}
	// Just under the limit is fine (the JSON encoding adds two quotes).
	mustOK(t, env.Do(t, env.AdminKey, "", docSetSecret, map[string]any{"name": "FITS", "value": big[:len(big)-2]}))
	mustOK(t, env.Do(t, env.AdminKey, "", docSetSecret, map[string]any{"name": strings.Repeat("A", 255), "value": "v"}))

	t.Run("non-JSON body", func(t *testing.T) {
		r := env.Post(t, env.AdminKey, "", []byte("query { secret_names }"))
		if r.Status != 400 || r.Code() != localapi.CodeBadUserInput {
			t.Fatalf("status %d code %q", r.Status, r.Code())
		}
	})
	t.Run("body over the cap", func(t *testing.T) {
		body := `{"query": "query { secret_names }", "variables": {"pad": "` + strings.Repeat("p", localapi.MaxRequestBytes) + `"}}`
		r := env.Post(t, env.AdminKey, "", []byte(body))
		if r.Status != 413 || r.Code() != localapi.CodeBadUserInput {
			t.Fatalf("status %d code %q", r.Status, r.Code())
		}
	})
	t.Run("missing secret", func(t *testing.T) {
		r := env.Do(t, env.AdminKey, "", docSecretValue, map[string]any{"name": "NOPE"})
		if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, localapi.NoValueMessage) {
			t.Fatalf("got %+v", r.Errors)
		}
	})
	t.Run("delete missing secret", func(t *testing.T) {
		r := env.Do(t, env.AdminKey, "", `mutation { delete_secret(input: {name: "NOPE"}) { success error } }`, nil)
		mustOK(t, r)
		if got := string(r.Data["delete_secret"]); !strings.Contains(got, `"success":false`) {
			t.Fatalf("delete_secret = %s", got)
		}
	})
}

// Names created elsewhere (Prefect Cloud allows any name) can be rotated and
// deleted even though new names must follow the rules.
func TestExistingNamesOfAnyShapeCanBeRotatedAndDeleted(t *testing.T) {
	apitest.EachBackend(t, testExistingNamesOfAnyShapeCanBeRotatedAndDeleted)
}

func testExistingNamesOfAnyShapeCanBeRotatedAndDeleted(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	team, _ := env.Store.TenantBySlug(t.Context(), "default")
	odd := "legacy/name with %2F?#"
	if err := env.Store.PutSecret(t.Context(), team.ID, odd, json.RawMessage(`"old"`)); err != nil {
		t.Fatal(err)
	}
	mustOK(t, env.Do(t, env.AdminKey, "", docSetSecret, map[string]any{"name": odd, "value": "new"}))
	r := env.Do(t, env.AdminKey, "", docSecretValue, map[string]any{"name": odd})
	if string(r.Data["secret_value"]) != `"new"` {
		t.Fatalf("rotated value = %s", r.Data["secret_value"])
	}
	mustOK(t, env.Do(t, env.AdminKey, "", docDeleteSecret, map[string]any{"name": odd}))
}

// The plain secret_names query has a fast path; its answers must be the very
// bytes graphql-go gives for the same request.
func TestPlainSecretNamesAnswerMatchesGraphQL(t *testing.T) {
	apitest.EachBackend(t, testPlainSecretNamesAnswerMatchesGraphQL)
}

func testPlainSecretNamesAnswerMatchesGraphQL(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	otherID := env.Team(t, "other")
	defaultTeam, _ := env.Store.TenantBySlug(t.Context(), "default")
	for _, n := range []string{"B", "a", "<&>", "ünï", `q"uote`, "back\\slash"} {
		if err := env.Store.PutSecret(t.Context(), defaultTeam.ID, n, []byte(`"v"`)); err != nil {
			t.Fatal(err)
		}
	}
	raw := func(key, tenant, query string) string {
		_, out := env.PostRaw(t, key, tenant, []byte(`{"query": `+strconv.Quote(query)+`}`))
		return strings.TrimSpace(string(out))
	}
	for _, tc := range []struct{ name, key, tenant string }{
		{"names", env.AdminKey, ""},
		{"unauthenticated", "", ""},
		{"forbidden team", env.AdminKey, otherID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fast := raw(tc.key, tc.tenant, `query { secret_names }`)
			slow := raw(tc.key, tc.tenant, `query { secret_names @include(if: true) }`)
			if fast != slow {
				t.Fatalf("fast path:\n%s\ngraphql-go:\n%s", fast, slow)
			}
		})
	}
}
