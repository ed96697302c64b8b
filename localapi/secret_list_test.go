package localapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

const docSecretList = `query($search: String, $order_by: secret_order_by, $limit: Int!, $offset: Int) {
  secret_list(search: $search, order_by: $order_by, limit: $limit, offset: $offset) {
    total_count secrets { name created updated updated_by } } }`

type listedSecret struct {
	Name, Created, Updated string
	UpdatedBy              *string `json:"updated_by"`
}

type listedPage struct {
	TotalCount int `json:"total_count"`
	Secrets    []listedSecret
}

func secretList(t *testing.T, env *apitest.Env, key string, vars map[string]any) listedPage {
	t.Helper()
	r := env.Do(t, key, "", docSecretList, vars)
	mustOK(t, r)
	return decode[listedPage](t, r.Data["secret_list"])
}

func listedNames(p listedPage) []string {
	var out []string
	for _, s := range p.Secrets {
		out = append(out, s.Name)
	}
	return out
}

const docSet = `mutation($name: String!, $value: JSON!) { set_secret(input: {name: $name, value: $value}) { success } }`

// The list extension records who wrote each value and when, and pages,
// orders, searches and counts on the server.
func TestSecretListRecordsWhoAndWhenAndPages(t *testing.T) {
	apitest.EachBackend(t, testSecretListRecordsWhoAndWhenAndPages)
}

func testSecretListRecordsWhoAndWhenAndPages(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	env.Member(t, "default", localapi.RoleUser, "alice")
	alice := env.Key(t, "default", localapi.RoleUser, "alice")
	reader := env.Key(t, "default", localapi.RoleReadOnlyUser, "")
	teamKey := env.Key(t, "default", localapi.RoleUser, "")
	start := time.Now().UTC().Add(-time.Second)
	for i, name := range []string{"B_TOKEN", "a_token", "C_TOKEN", "DB.URL"} {
		key := alice
		if i == 3 {
			key = teamKey
		}
		mustOK(t, env.Do(t, key, "", docSet, map[string]any{"name": name, "value": "v"}))
		time.Sleep(2 * time.Millisecond)
	}

	all := secretList(t, env, reader, map[string]any{"limit": 100})
	if all.TotalCount != 4 || !slices.Equal(listedNames(all), []string{"a_token", "B_TOKEN", "C_TOKEN", "DB.URL"}) {
		t.Fatalf("list: %+v", all)
	}
	for _, s := range all.Secrets {
		created, err1 := time.Parse(time.RFC3339Nano, s.Created)
		updated, err2 := time.Parse(time.RFC3339Nano, s.Updated)
		if err1 != nil || err2 != nil || created.Before(start) || updated.Before(created) || !strings.HasSuffix(s.Updated, "Z") {
			t.Fatalf("%s: created %q, updated %q", s.Name, s.Created, s.Updated)
		}
		want := "alice"
		if s.Name == "DB.URL" {
			want = "team key"
		}
		if s.UpdatedBy == nil || *s.UpdatedBy != want {
			t.Fatalf("%s updated by %v, want %s", s.Name, deref(s.UpdatedBy), want)
		}
	}
	// A rewrite keeps created, moves updated and updated_by.
	mustOK(t, env.Do(t, teamKey, "", docSet, map[string]any{"name": "a_token", "value": "w"}))
	recent := secretList(t, env, alice, map[string]any{"limit": 2, "order_by": map[string]string{"updated": "desc"}})
	if !slices.Equal(listedNames(recent), []string{"a_token", "DB.URL"}) || recent.TotalCount != 4 {
		t.Fatalf("by updated, newest first: %+v", recent)
	}
	if a := recent.Secrets[0]; a.Created != all.Secrets[0].Created || a.Updated == all.Secrets[0].Updated || *a.UpdatedBy != "team key" {
		t.Fatalf("a_token after a rewrite: %+v (before %+v)", a, all.Secrets[0])
	}
	for _, tc := range []struct {
		vars  map[string]any
		total int
		names []string
	}{
		{map[string]any{"limit": 2, "offset": 1}, 4, []string{"B_TOKEN", "C_TOKEN"}},
		{map[string]any{"limit": 2, "order_by": map[string]string{"name": "desc"}}, 4, []string{"DB.URL", "C_TOKEN"}},
		{map[string]any{"limit": 10, "search": "_tok"}, 3, []string{"a_token", "B_TOKEN", "C_TOKEN"}},
		{map[string]any{"limit": 10, "search": "."}, 1, []string{"DB.URL"}},
		{map[string]any{"limit": 10, "search": "%"}, 0, nil},
		{map[string]any{"limit": 0}, 4, nil},
		{map[string]any{"limit": 10, "offset": 10}, 4, nil},
	} {
		t.Run(fmt.Sprint(tc.vars), func(t *testing.T) {
			p := secretList(t, env, reader, tc.vars)
			if p.TotalCount != tc.total || !slices.Equal(listedNames(p), tc.names) {
				t.Fatalf("got %d %q, want %d %q", p.TotalCount, listedNames(p), tc.total, tc.names)
			}
		})
	}
	// A delete leaves the count right (the count is cached).
	mustOK(t, env.Do(t, alice, "", `mutation { delete_secret(input: {name: "C_TOKEN"}) { success } }`, nil))
	if p := secretList(t, env, reader, map[string]any{"limit": 0}); p.TotalCount != 3 {
		t.Fatalf("after a delete: %d", p.TotalCount)
	}
}

func TestSecretListRefusesUnboundedOrUnknown(t *testing.T) {
	apitest.EachBackend(t, testSecretListRefusesUnboundedOrUnknown)
}

func testSecretListRefusesUnboundedOrUnknown(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	for _, tc := range []struct {
		name string
		vars map[string]any
		want string
	}{
		{"limit above 100", map[string]any{"limit": 101}, "Invalid limit"},
		{"negative limit", map[string]any{"limit": -1}, "Invalid limit"},
		{"negative offset", map[string]any{"limit": 1, "offset": -1}, "Invalid offset"},
		{"two orders", map[string]any{"limit": 1, "order_by": map[string]string{"name": "asc", "updated": "asc"}}, "not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(t, env.AdminKey, "", docSecretList, tc.vars)
			if r.Code() != localapi.CodeBadUserInput || !strings.Contains(r.Errors[0].Message, tc.want) {
				t.Fatalf("got %+v", r.Errors)
			}
		})
	}
	if r := env.Do(t, "", "", docSecretList, map[string]any{"limit": 1}); r.Code() != localapi.CodeUnauthenticated {
		t.Fatalf("without a key: %+v", r.Errors)
	}
	// Each alias counts as a team-wide list.
	var doc strings.Builder
	doc.WriteString("{")
	for i := range 11 {
		fmt.Fprintf(&doc, " a%d: secret_list(limit: 100) { total_count }", i)
	}
	doc.WriteString("}")
	if r := env.Do(t, env.AdminKey, "", doc.String(), nil); r.Code() != localapi.CodeBadUserInput || !strings.Contains(r.Errors[0].Message, "team-wide lists") {
		t.Fatalf("eleven aliases: %+v", r.Errors)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}
