package localapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
	"teamsecrets/metrics"
)

// apiCalls scrapes m and returns teamsecrets_api_requests_total by
// "operation/outcome".
func apiCalls(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, s := range fams["teamsecrets_api_requests_total"].GetMetric() {
		var op, outcome string
		for _, l := range s.GetLabel() {
			switch l.GetName() {
			case "operation":
				op = l.GetValue()
			case "outcome":
				outcome = l.GetValue()
			}
		}
		out[op+"/"+outcome] = s.GetCounter().GetValue()
	}
	return out
}

// Each request counts once, under the top-level field of the schema its
// operation selects (never its operationName) and its outcome.
func TestAPIRequestsAreCountedByFieldAndOutcome(t *testing.T) {
	m := metrics.New("test")
	env := apitest.Start(t, localapi.WithMetrics(m))
	env.Member(t, "default", localapi.RoleReadOnlyUser, "reader")
	reader := env.Key(t, "default", localapi.RoleReadOnlyUser, "reader")
	raw := func(key, body string) func() {
		return func() { env.PostRaw(t, key, "", []byte(body)) }
	}
	doc := func(key, query, opName string) func() {
		b, _ := json.Marshal(map[string]any{"query": query, "operationName": opName})
		return raw(key, string(b))
	}
	admin := env.AdminKey
	for _, tc := range []struct {
		name string
		send func()
		want string
	}{
		{"plain names", doc(admin, `{ secret_names }`, ""), "secret_names/ok"},
		{"aliases of one field", doc(admin, `{ a: secret_names b: secret_names }`, ""), "secret_names/ok"},
		{"inline fragment", doc(admin, `{ ... on query_root { api { version } } }`, ""), "api/ok"},
		{"the named operation of two", doc(admin, `query A { secret_names } mutation B { set_secret(input: {name: "X", value: 1}) { success } }`, "B"), "set_secret/ok"},
		{"an operationName the document lacks", doc(admin, `query A { secret_names }`, "Nope"), "other/invalid"},
		{"several fields", doc(admin, `{ secret_names api { version } }`, ""), "multiple/ok"},
		{"the list page", doc(admin, `{ secret_list(limit: 10) { total_count } }`, ""), "secret_list/ok"},
		{"introspection", doc(admin, `{ __typename }`, ""), "other/ok"},
		{"fragments spreading each other", doc(admin, `{ ...A } fragment A on query_root { ...B } fragment B on query_root { ...A }`, ""), "other/invalid"},
		{"a syntax error", doc(admin, `{ secret_names`, ""), "other/invalid"},
		{"over the root field limit", doc(admin, `{ `+strings.Repeat("secret_names ", 1001)+`}`, ""), "secret_names/refused"},
		{"not JSON", raw(admin, `{`), "other/invalid"},
		{"no key", doc("", `{ secret_names }`, ""), "secret_names/unauthenticated"},
		{"a read-only key writes", doc(reader, `mutation { set_secret(input: {name: "X", value: 1}) { success } }`, ""), "set_secret/forbidden"},
		{"a missing value", doc(admin, `{ secret_value(name: "MISSING") }`, ""), "secret_value/not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := apiCalls(t, m)
			tc.send()
			after := apiCalls(t, m)
			total := func(c map[string]float64) (n float64) {
				for _, v := range c {
					n += v
				}
				return n
			}
			if after[tc.want] != before[tc.want]+1 || total(after) != total(before)+1 {
				t.Fatalf("want one more %s; before %v, after %v", tc.want, before, after)
			}
		})
	}
}
