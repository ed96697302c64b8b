package localapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

// FuzzDocument sends generated GraphQL documents, with or without a key,
// to the API's handler. Whatever arrives, the answer comes back within a
// time and memory bound, as JSON, and every error carries a code.
//
//	go test ./localapi -run '^$' -fuzz FuzzDocument -fuzztime 5m
func FuzzDocument(f *testing.F) {
	env := apitest.Start(f)
	readOnly := env.Key(f, "default", localapi.RoleReadOnlyUser, "")
	defaultTeam, _ := env.Store.TenantBySlug(f.Context(), "default")
	for _, n := range []string{"A", "b", "<&>"} {
		if err := env.Store.PutSecret(f.Context(), defaultTeam.ID, n, []byte(`"v"`)); err != nil {
			f.Fatal(err)
		}
	}
	// The wrong key is sent again and again: keep it from being limited, so
	// its documents are exercised too.
	srv, err := localapi.NewServer(apitest.Schema(f), env.Store, "fuzz", localapi.WithLimits(localapi.Limits{AuthFailures: 1 << 30}))
	if err != nil {
		f.Fatal(err)
	}
	keys := []string{"", env.AdminKey, readOnly, "tsk_wrong"}

	for _, seed := range []struct {
		doc, vars string
		key       uint8
	}{
		{docSecretNames, ``, 1},
		{docTenantSecretName, ``, 2},
		{docSecretValue, `{"name":"A"}`, 1},
		{docSetInline, ``, 1},
		{docSetSecret, `{"name":"N","value":{"a":[1,2.5,"x",null,true]}}`, 1},
		{docSetSecret, `"{\"name\": \"PY\", \"value\": 1}"`, 1},
		{docDeleteSecret, `{"name":"b"}`, 1},
		{docAuthInfo, ``, 0},
		{docTenants, ``, 2},
		{docTenantBySlg, `{"slug":"default"}`, 1},
		{docUser, ``, 1},
		{`{user{id id id id id id id id id id id id id id id id}}`, ``, 0},
		{`{a:secret_names b:secret_names c:secret_names}`, ``, 2},
		{`query{...A} fragment A on query_root{...B ...B} fragment B on query_root{user{id}}`, ``, 1},
		{`query{...A} fragment A on query_root{...A}`, ``, 0},
		{`mutation { set_secret(input: { name: "K", value: 1e400 }) { success } }`, ``, 0},
		{`mutation($v: JSON!){a:set_secret(input:{name:"X",value:$v}){success} b:set_secret(input:{name:"Y",value:$v}){success}}`, `{"v":"` + strings.Repeat("x", 100) + `"}`, 1},
		{`{ tenant(limit: 99999999999) { id } }`, ``, 1},
		{`{ __schema { types { name fields { name } } } }`, ``, 0},
		{`subscription { secret_names }`, ``, 1},
	} {
		f.Add(seed.doc, seed.vars, seed.key)
	}

	f.Fuzz(func(t *testing.T, doc, vars string, key uint8) {
		body, _ := json.Marshal(map[string]any{"query": doc, "variables": json.RawMessage(validJSONOrNull(vars))})
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		if k := keys[int(key)%len(keys)]; k != "" {
			req.Header.Set("Authorization", "Bearer "+k)
		}
		rec := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		srv.ServeHTTP(rec, req)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; took > 3*time.Second || alloc > 96<<20 {
			t.Fatalf("answer took %v and %d MB for %q", took, alloc>>20, doc)
		}
		switch rec.Code {
		case 200, 400, 413:
		default:
			t.Fatalf("status %d for %q", rec.Code, doc)
		}
		var resp struct {
			Data   json.RawMessage `json:"data"`
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("answer is not JSON (%v): %.200s", err, rec.Body.String())
		}
		if len(resp.Errors) == 0 && (len(resp.Data) == 0 || string(resp.Data) == "null") {
			t.Fatalf("neither data nor errors for %q: %s", doc, rec.Body.String())
		}
		for _, e := range resp.Errors {
			if code, _ := e.Extensions["code"].(string); code == "" || strings.Contains(e.Message, "panic") {
				t.Fatalf("error without a code, or a panic, for %q: %+v", doc, e)
			}
		}
	})
}

func validJSONOrNull(s string) string {
	if json.Valid([]byte(s)) {
		return s
	}
	return "null"
}
