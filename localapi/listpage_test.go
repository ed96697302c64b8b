package localapi_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

// docListPage is the UI's list page document (cloud/operations).
const docListPage = `query ListSecretPage($search: String, $order_by: secret_order_by, $limit: Int!, $offset: Int) {
  page: secret_list(search: $search, order_by: $order_by, limit: $limit, offset: $offset) {
    total_count
    secrets { name created updated updated_by }
  }
  team: secret_list(limit: 0) { total_count }
}`

// slowVariant is the same document with a directive graphql-go ignores
// (include if true), which keeps it off the fast path.
func slowVariant(doc string) string {
	i := strings.Index(doc, "secret_list(")
	j := i + strings.Index(doc[i:], ")") + 1
	return doc[:j] + " @include(if: true)" + doc[j:]
}

// The list page documents have a fast path (listpage.go); its answers must
// be the very bytes graphql-go gives for the same request, for every page,
// search and order, and whatever the error.
func TestListPageAnswerMatchesGraphQL(t *testing.T) {
	apitest.EachBackend(t, testListPageAnswerMatchesGraphQL)
}

func testListPageAnswerMatchesGraphQL(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	otherID := env.Team(t, "other")
	emptyTeamKey := env.Key(t, "other", localapi.RoleTenantAdmin, "")
	env.Member(t, "default", localapi.RoleUser, "alice")
	alice := env.Key(t, "default", localapi.RoleUser, "alice")
	reader := env.Key(t, "default", localapi.RoleReadOnlyUser, "")
	teamKey := env.Key(t, "default", localapi.RoleUser, "")
	for i, name := range []string{"B_TOKEN", "a_token", "C_TOKEN", "DB.URL", "E_TOKEN"} {
		key := []string{alice, teamKey, env.AdminKey}[i%3]
		mustOK(t, env.Do(t, key, "", docSet, map[string]any{"name": name, "value": "v"}))
	}
	defaultTeam, _ := env.Store.TenantBySlug(t.Context(), "default")
	for _, n := range []string{"<&>", "ünï", `q"uote`, "back\\slash", "line\u2028sep"} {
		// Written under the store: no writer recorded (updated_by null).
		if err := env.Store.PutSecret(t.Context(), defaultTeam.ID, n, []byte(`"v"`)); err != nil {
			t.Fatal(err)
		}
	}

	raw := func(key, tenant, query, vars string) string {
		body := `{"query": ` + strconv.Quote(query)
		if vars != "" {
			body += `, "variables": ` + vars
		}
		status, out := env.PostRaw(t, key, tenant, []byte(body+`}`))
		return strconv.Itoa(status) + " " + canonicalErrors(t, out)
	}
	docs := map[string]string{
		"ui":               docListPage,
		"no alias":         docSecretList,
		"literals":         `query { b: secret_list(limit: 3, offset: 1) { secrets { updated_by name } total_count } a: secret_list(limit: 0) { total_count } }`,
		"vars as a string": docListPage,
	}
	type tc struct{ name, key, tenant, doc, vars string }
	var cases []tc
	for _, v := range []string{
		`{"limit": 50, "offset": 0}`,
		`{"limit": 50}`,
		`{"limit": 2, "offset": 2, "search": null, "order_by": null}`,
		`{"limit": 3, "offset": 1, "order_by": {"name": "desc"}}`,
		`{"limit": 4, "order_by": {"updated": "asc"}}`,
		`{"limit": 4, "offset": 2, "order_by": {"updated": "desc"}}`,
		`{"limit": 4, "order_by": {}}`,
		`{"limit": 4, "order_by": {"name": null, "updated": "desc"}}`,
		`{"limit": 10, "search": "tok"}`,
		`{"limit": 10, "search": "<&"}`,
		`{"limit": 10, "search": ""}`,
		`{"limit": 10, "search": "nothing matches"}`,
		`{"limit": 10, "offset": 1000}`,
		`{"limit": 0, "offset": 0}`,
		`{"limit": 100, "offset": 10000000}`,
		// Refused by the resolver, or of forms the fast path leaves to
		// graphql-go: the same answer either way.
		`{"limit": 101}`,
		`{"limit": -1}`,
		`{"limit": 5, "offset": -1}`,
		`{"limit": 5, "offset": 10000001}`,
		`{"limit": 5, "order_by": {"name": "asc", "updated": "desc"}}`,
		`{"limit": 5, "order_by": {"NAME": "asc"}}`,
		`{"limit": 5, "order_by": {"name": "ASC"}}`,
		`{"limit": 5, "order_by": "name"}`,
		`{"limit": 5, "search": "` + strings.Repeat("s", 1025) + `"}`,
		`{"limit": 5, "search": 7}`,
		`{"limit": "5"}`,
		`{"limit": 5.0}`,
		`{"limit": 2147483648}`,
		`{"limit": null}`,
		`{}`,
		`{"limit": 5, "extra": 1}`,
	} {
		cases = append(cases, tc{"admin " + v, env.AdminKey, "", "ui", v})
	}
	for _, who := range []struct{ name, key, tenant string }{
		{"alice", alice, ""},
		{"read-only key", reader, ""},
		{"team key", teamKey, ""},
		{"empty team", emptyTeamKey, ""},
		{"no key", "", ""},
		{"unknown key", "tsk_not_a_key", ""},
		{"forbidden team", env.AdminKey, otherID},
	} {
		cases = append(cases,
			tc{who.name, who.key, who.tenant, "ui", `{"limit": 3, "offset": 1}`},
			tc{who.name + " no alias", who.key, who.tenant, "no alias", `{"limit": 3, "order_by": {"updated": "desc"}}`},
			tc{who.name + " literals", who.key, who.tenant, "literals", ``})
	}
	cases = append(cases,
		tc{"variables as a string", env.AdminKey, "", "vars as a string", strconv.Quote(`{"limit": 2, "offset": 1}`)},
		tc{"no alias, search", env.AdminKey, "", "no alias", `{"limit": 3, "search": "TOKEN"}`})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := docs[c.doc]
			if !localapi.ListPageShapeForTest(doc) || localapi.ListPageShapeForTest(slowVariant(doc)) {
				t.Fatal("the fast document must take the fast path and its variant must not")
			}
			fast := raw(c.key, c.tenant, doc, c.vars)
			slow := raw(c.key, c.tenant, slowVariant(doc), c.vars)
			if fast != slow {
				t.Fatalf("fast path:\n%s\ngraphql-go:\n%s", fast, slow)
			}
		})
	}

	// The answer the fast path writes, read back: 10 secrets, a null
	// updated_by among them.
	r := env.Do(t, env.AdminKey, "", docListPage, map[string]any{"limit": 100})
	mustOK(t, r)
	page := decode[listedPage](t, r.Data["page"])
	if page.TotalCount != 10 || len(page.Secrets) != 10 || page.Secrets[0].UpdatedBy != nil {
		t.Fatalf("page = %+v", page)
	}
}

// A response over the budget is refused whole, on the fast path as on
// graphql-go's.
func TestListPageResponseBudget(t *testing.T) { apitest.EachBackend(t, testListPageResponseBudget) }

func testListPageResponseBudget(t *testing.T, b apitest.Backend) {
	env := b.Start(t, localapi.WithLimits(localapi.Limits{MaxResponseBytes: 500}))
	for _, name := range []string{"A", "B", "C", "D", "E"} {
		mustOK(t, env.Do(t, env.AdminKey, "", docSet, map[string]any{"name": name, "value": "v"}))
	}
	for _, vars := range []string{`{"limit": 1}`, `{"limit": 5}`} {
		body := func(doc string) []byte {
			return []byte(`{"query": ` + strconv.Quote(doc) + `, "variables": ` + vars + `}`)
		}
		fs, fast := env.PostRaw(t, env.AdminKey, "", body(docListPage))
		ss, slow := env.PostRaw(t, env.AdminKey, "", body(slowVariant(docListPage)))
		if fs != ss || string(fast) != string(slow) {
			t.Fatalf("%s: fast path %d %s, graphql-go %d %s", vars, fs, fast, ss, slow)
		}
	}
}

// canonicalErrors puts a response's errors in one order: graphql-go runs
// root fields concurrently, so two fields' errors come in either order.
func canonicalErrors(t *testing.T, out []byte) string {
	t.Helper()
	var r struct {
		Errors []json.RawMessage `json:"errors"`
		Data   json.RawMessage   `json:"data"`
	}
	if json.Unmarshal(out, &r) != nil || len(r.Errors) < 2 {
		return strings.TrimSpace(string(out))
	}
	slices.SortFunc(r.Errors, func(a, b json.RawMessage) int { return strings.Compare(string(a), string(b)) })
	sorted, _ := json.Marshal(r)
	return "(errors sorted) " + string(sorted)
}
