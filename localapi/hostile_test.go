package localapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

// Documents an attacker sends must be refused fast and cheaply. The
// bounds here are generous (a loaded CI machine); the benchmarks report the
// real figures (about a millisecond and well under a megabyte each).
const (
	refuseWithin   = 2 * time.Second
	refuseAllocMax = 48 << 20
)

// measured posts a document and reports the response, the time it took and
// the bytes the process allocated meanwhile.
func measured(t *testing.T, env *apitest.Env, key, doc string, vars any) (apitest.Response, time.Duration, uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	r := env.Do(t, key, "", doc, vars)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	return r, took, after.TotalAlloc - before.TotalAlloc
}

func mustRefuseCheaply(t *testing.T, env *apitest.Env, key, doc string, vars any, inMsg string) {
	t.Helper()
	r, took, alloc := measured(t, env, key, doc, vars)
	if r.Code() != localapi.CodeBadUserInput || !strings.Contains(r.Errors[0].Message, inMsg) {
		t.Fatalf("status %d errors %+v, want BAD_USER_INPUT containing %q", r.Status, r.Errors, inMsg)
	}
	if len(r.Data) != 0 {
		t.Fatalf("refused document returned data: %v", r.Data)
	}
	if took > refuseWithin || alloc > refuseAllocMax {
		t.Fatalf("refusal took %v and allocated %d MB", took, alloc>>20)
	}
	t.Logf("refused in %v, %d KB allocated: %s", took, alloc>>10, r.Errors[0].Message)
}

func repeat(format string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// Finding: one unauthenticated POST of {user{id id id …}} took 53 s and
// 3.9 GB (graphql-go compares overlapping fields pairwise).
func TestOverlappingFieldsAreRefusedCheaply(t *testing.T) {
	env := apitest.Start(t)
	tests := []struct{ name, doc, inMsg string }{
		{"8,000 ids", "{user{" + strings.Repeat(" id", 8000) + "}}", "at most 5000 fields"},
		{"21,000 ids (63 KB)", "{user{" + strings.Repeat(" id", 21000) + "}}", "at most"},
		{"1,000 ids", "{user{" + strings.Repeat(" id", 1000) + "}}", "Overlapping field validation aborted"},
		{"nested user/memberships/tenant", "{" + strings.Repeat(" user{memberships{tenant{id}}}", 1500) + "}", "at most"},
		{"nested, under the field limit", "{user{" + strings.Repeat(" memberships{tenant{id}}", 600) + "}}", "Overlapping field validation aborted"},
		{"lists aliased", "{" + strings.Repeat(" user{id}", 11) + "}", "team-wide lists"},
		{"mixed fields", "{" + strings.Repeat(" user{id username} tenant{id slug} auth_info{tenant_id}", 400) + "}", "at most"},
		{"through a fragment", "query{...F ...F ...F} fragment F on query_root{user{" + strings.Repeat(" id", 2000) + "}}", "at most"},
		{"fragment bomb", "query{...A}" +
			" fragment A on query_root{...B ...B ...B ...B} fragment B on query_root{...C ...C ...C ...C}" +
			" fragment C on query_root{...D ...D ...D ...D} fragment D on query_root{...E ...E ...E ...E}" +
			" fragment E on query_root{user{id} user{id} user{id} user{id} user{id} user{id} user{id} user{id}}", "at most"},
		{"fragment cycle", "query{...A} fragment A on query_root{...B} fragment B on query_root{...A}", "spreads itself"},
		{"too deep", "query Q{" + strings.Repeat("user{memberships{", 8) + "id" + strings.Repeat("}}", 8) + "}", "too deep"},
		{"1,001 root fields", "{" + repeat(" a%d: api{version}", 1001) + "}", "at most 1000 top-level fields"},
		{"query over 64 KiB", "{secret_names}" + strings.Repeat(" ", 70<<10), "at most 64 KiB"},
		{"token flood", "{api(" + strings.Repeat("a:1 ", 15000) + "){version}}", "tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustRefuseCheaply(t, env, "", tt.doc, nil, tt.inMsg)
		})
	}
}

func setNames(t testing.TB, env *apitest.Env, team string, n, length int) {
	t.Helper()
	tenant, err := env.Store.TenantBySlug(t.Context(), team)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string][]byte{}
	for i := range n {
		name := fmt.Sprintf("N%05d_", i)
		name += strings.Repeat("x", length-len(name))
		values[name] = []byte(`"v"`)
	}
	raw := make(map[string]jsonRaw, len(values))
	for k, v := range values {
		raw[k] = v
	}
	if err := env.Store.PutSecrets(t.Context(), tenant.ID, raw); err != nil {
		t.Fatal(err)
	}
}

// Finding: 1,000 aliases of secret_names over 2,000 names of 255
// characters built a 516 MB response.
func TestAliasesCannotMultiplyTheResponse(t *testing.T) {
	env := apitest.Start(t)
	setNames(t, env, "default", 2000, 255)
	readOnly := env.Key(t, "default", localapi.RoleReadOnlyUser, "")
	mustRefuseCheaply(t, env, readOnly, "{"+repeat(" a%d:secret_names", 1000)+"}", nil, "team-wide lists")
	mustRefuseCheaply(t, env, readOnly, "query{...A ...A} fragment A on query_root{"+repeat(" a%d:secret_names", 6)+"}", nil, "team-wide lists")

	// One list, and a handful of aliases, are still answered.
	r := env.Do(t, readOnly, "", "{a:secret_names b:secret_names}", nil)
	mustOK(t, r)
	if len(r.Data["a"]) < 2000*255 {
		t.Fatalf("secret_names answered %d bytes", len(r.Data["a"]))
	}
}

// Values can be read many at a time (teamsecrets run does), but one
// response stays within its byte budget.
func TestAliasedValuesStayWithinTheResponseBudget(t *testing.T) {
	env := apitest.Start(t)
	tenant, _ := env.Store.TenantBySlug(t.Context(), "default")
	big := jsonRaw(`"` + strings.Repeat("v", localapi.MaxValueBytes-2) + `"`)
	for i := range 100 {
		if err := env.Store.PutSecret(t.Context(), tenant.ID, fmt.Sprintf("V%d", i), big); err != nil {
			t.Fatal(err)
		}
	}
	mustRefuseCheaply(t, env, env.AdminKey, "{"+repeat(` a%d:secret_value(name:"V%[1]d")`, 100)+"}", nil, "Response too large")
	r := env.Do(t, env.AdminKey, "", "{"+repeat(` a%d:secret_value(name:"V%[1]d")`, 50)+"}", nil)
	mustOK(t, r)
	if len(r.Data) != 50 {
		t.Fatalf("%d values answered", len(r.Data))
	}
}

// Finding: one mutation of 1,150 aliased set_secret, each the same
// 65,000-character variable, wrote 80 MB.
func TestAliasedWritesAreRefusedWholeBeforeAnyWrite(t *testing.T) {
	apitest.EachBackend(t, testAliasedWritesAreRefusedWholeBeforeAnyWrite)
}

func testAliasedWritesAreRefusedWholeBeforeAnyWrite(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	value := strings.Repeat("v", 65000)
	doc := func(n int) string {
		return "mutation($v: JSON!){" + repeat(` a%d:set_secret(input:{name:"S%[1]d",value:$v}){success}`, n) + "}"
	}
	mustRefuseCheaply(t, env, env.AdminKey, doc(1150), map[string]any{"v": value}, "at most 1000 top-level fields")
	mustRefuseCheaply(t, env, env.AdminKey, doc(999), map[string]any{"v": value}, "at most 4 MiB")
	inputVar := "mutation($in: set_secret_input!){" + repeat(` a%d: set_secret(input:$in){success}`, 100) + "}"
	mustRefuseCheaply(t, env, env.AdminKey, inputVar, map[string]any{"in": map[string]any{"name": "S", "value": value}}, "at most 4 MiB")
	oneTooBig := `mutation($big: JSON!){ a: set_secret(input:{name:"OK", value:"v"}){success} b: set_secret(input:{name:"BIG", value:$big}){success}}`
	mustRefuseCheaply(t, env, env.AdminKey, oneTooBig, map[string]any{"big": strings.Repeat("x", localapi.MaxValueBytes)}, "nothing was written")

	r := env.Do(t, env.AdminKey, "", docSecretNames, nil)
	if got := string(r.Data["secret_names"]); got != "[]" {
		t.Fatalf("a refused document wrote %s", got)
	}
	// Many small writes in one document are fine.
	mustOK(t, env.Do(t, env.AdminKey, "", doc(50), map[string]any{"v": "small"}))
}

// The legacy Cloud UI deletes in bulk, one aliased delete_secret per
// secret: 500 (and up to 1,000) in one document work.
func TestBulkDeleteOfFiveHundredAliasesWorks(t *testing.T) {
	apitest.EachBackend(t, testBulkDeleteOfFiveHundredAliasesWorks)
}

func testBulkDeleteOfFiveHundredAliasesWorks(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	setNames(t, env, "default", 1000, 20)
	names := decode[[]string](t, env.Do(t, env.AdminKey, "", docSecretNames, nil).Data["secret_names"])
	for _, batch := range [][]string{names[:500], names[500:]} {
		var b strings.Builder
		b.WriteString("mutation {")
		for i, n := range batch {
			fmt.Fprintf(&b, " d%d: delete_secret(input: { name: %q }) { success }", i, n)
		}
		b.WriteString("}")
		r := env.Do(t, env.AdminKey, "", b.String(), nil)
		mustOK(t, r)
		if len(r.Data) != len(batch) {
			t.Fatalf("%d answers for %d deletes", len(r.Data), len(batch))
		}
	}
	if got := string(env.Do(t, env.AdminKey, "", docSecretNames, nil).Data["secret_names"]); got != "[]" {
		t.Fatalf("left %s", got)
	}
}

func TestTeamSecretCapRefusesNewNamesOnly(t *testing.T) {
	apitest.EachBackend(t, testTeamSecretCapRefusesNewNamesOnly)
}

func testTeamSecretCapRefusesNewNamesOnly(t *testing.T, b apitest.Backend) {
	env := b.Start(t, localapi.WithLimits(localapi.Limits{MaxSecrets: 3}))
	for i := range 3 {
		mustOK(t, env.Do(t, env.AdminKey, "", docSetSecret, map[string]any{"name": fmt.Sprintf("S%d", i), "value": "v"}))
	}
	r := env.Do(t, env.AdminKey, "", docSetSecret, map[string]any{"name": "S3", "value": "v"})
	if r.Code() != localapi.CodeBadUserInput || !strings.Contains(r.Errors[0].Message, "holds 3 secrets") {
		t.Fatalf("fourth secret: %+v", r.Errors)
	}
	// Replacing an existing secret is not a new one.
	mustOK(t, env.Do(t, env.AdminKey, "", docSetSecret, map[string]any{"name": "S1", "value": "rotated"}))
}

// Finding: number literals beyond 64 bits panicked inside graphql-go and
// logged a 3.5 KB stack trace per request, unauthenticated.
func TestOutOfRangeNumberLiteralsAreBadInputAndLogNothing(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	env := apitest.Start(t)
	for _, doc := range []string{
		`mutation { set_secret(input: { name: "K", value: 1e400 }) { success } }`,
		`mutation { set_secret(input: { name: "K", value: -1e400 }) { success } }`,
		`mutation { set_secret(input: { name: "K", value: 123456789012345678901234567890 }) { success } }`,
		`mutation { set_secret(input: { name: "K", value: {a: [1, 2, 1e999]} }) { success } }`,
		`query($x: JSON = 1e400) { secret_names }`,
	} {
		for range 200 {
			r := env.Do(t, "", "", doc, nil)
			if r.Status != 400 || r.Code() != localapi.CodeBadUserInput || !strings.Contains(r.Errors[0].Message, "Invalid number") {
				t.Fatalf("%s: status %d %+v", doc, r.Status, r.Errors)
			}
			if strings.Contains(r.Errors[0].Message, "1e") || strings.Contains(r.Errors[0].Message, "12345") {
				t.Fatalf("the error quotes the literal: %s", r.Errors[0].Message)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if logs.Len() > 0 {
		t.Fatalf("1,000 hostile requests logged %d bytes:\n%.500s", logs.Len(), logs.String())
	}
	// A valid large number still round-trips exactly as a variable.
	mustOK(t, env.Do(t, env.AdminKey, "", docSetSecret, map[string]any{"name": "BIG", "value": jsonRaw("123456789012345678901234567890")}))
	r := env.Do(t, env.AdminKey, "", docSecretValue, map[string]any{"name": "BIG"})
	if got := string(r.Data["secret_value"]); got != "123456789012345678901234567890" {
		t.Fatalf("secret_value = %s", got)
	}
}

func TestErrorsFromGraphQLValidationCarryACode(t *testing.T) {
	env := apitest.Start(t)
	for _, doc := range []string{`{ nope }`, `{ secret_names `, `query A { api { version } } query A { api { version } }`} {
		r := env.Do(t, env.AdminKey, "", doc, nil)
		if r.Code() != localapi.CodeBadUserInput {
			t.Fatalf("%s: %+v", doc, r.Errors)
		}
	}
}

func TestAPIResponsesAreNotSniffedOrCached(t *testing.T) {
	env := apitest.Start(t)
	for _, body := range []string{`{"query":"{secret_names}"}`, `{"query":"{api{version}}"}`, `not json`} {
		req, _ := httpNewPost(env.URL, body)
		res, err := env.Server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: headers %v", body, res.Header)
		}
	}
}

// Every document runs under a deadline, and stops when its client is gone.
func TestDocumentsStopAtTheDeadlineAndWhenTheClientLeaves(t *testing.T) {
	env := apitest.Start(t)
	srv, err := localapi.NewServer(apitest.Schema(t), env.Store, "test", localapi.WithLimits(localapi.Limits{Timeout: time.Nanosecond}))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"query":"{ a: secret_names b: secret_names }"}`
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+env.AdminKey)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "took too long") || strings.Contains(rec.Body.String(), `"data"`) {
		t.Fatalf("past the deadline: %d %s", rec.Code, rec.Body)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body)).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+env.AdminKey)
	rec = httptest.NewRecorder()
	env.Server.Config.Handler.ServeHTTP(rec, req)
	if rec.Body.Len() != 0 {
		t.Fatalf("answered a client that is gone: %s", rec.Body)
	}
}

// A mutation that runs out of time reports, field by field, which writes
// happened: nothing is claimed that did not happen, nothing hidden that did.
func TestMutationPastTheDeadlineReportsEachWrite(t *testing.T) {
	apitest.EachBackend(t, testMutationPastTheDeadlineReportsEachWrite)
}

func testMutationPastTheDeadlineReportsEachWrite(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	srv, err := localapi.NewServer(apitest.Schema(t), env.Store, "test", localapi.WithLimits(localapi.Limits{Timeout: 20 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	doc := "mutation {" + repeat(` a%d: set_secret(input:{name:"S%[1]d", value:1}) { success }`, 300) + "}"
	body, _ := json.Marshal(map[string]string{"query": doc})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+env.AdminKey)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var resp struct {
		Data map[string]*struct{ Success bool }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	names := decode[[]string](t, env.Do(t, env.AdminKey, "", docSecretNames, nil).Data["secret_names"])
	for i := range 300 {
		written := slices.Contains(names, fmt.Sprintf("S%d", i))
		a := resp.Data[fmt.Sprintf("a%d", i)]
		if reported := a != nil && a.Success; written != reported {
			t.Fatalf("S%d: written %v, reported %v: %.300s", i, written, reported, rec.Body)
		}
	}
	t.Logf("%d of 300 writes done within the deadline, each reported", len(names))
}

// Found by a review of the first fixes: variables used many times (sent or
// by default), text that the two GraphQL parsers read differently, and
// introspection answers outside the response budget.
func TestVariablesParsersAndIntrospectionCannotEscapeTheLimits(t *testing.T) {
	env := apitest.Start(t)
	zeros := make([]int, 450_000)
	tests := []struct {
		name, key, doc string
		vars           any
		inMsg          string
	}{
		{"unsent variable's default, used 10,000 times", "",
			`mutation($v:JSON="` + strings.Repeat("x", 30000) + `"){set_secret(input:{name:"A",value:[` + strings.Repeat("$v,", 10000) + `]}){success}}`, nil, "at most 4 MiB"},
		{"large variable used 150 times", "",
			`mutation($v:JSON){set_secret(input:{name:"A",value:[` + strings.Repeat("$v,", 150) + `]}){success}}`, map[string]any{"v": zeros}, "at most 4 MiB"},
		{"input variable's default, 990 aliases", env.AdminKey,
			`mutation($i:set_secret_input={name:"BIG2",value:"` + strings.Repeat("y", 30000) + `"}){` + repeat(" a%d:set_secret(input:$i){success}", 990) + `}`, nil, "at most 4 MiB"},
		{"Go-style escape graphql-go would take", env.AdminKey,
			"{" + repeat(" a%d:secret_names", 10) + ` z:secret_value(name:"\x43ANARY")}`, nil, "Invalid query"},
		{"escape hiding a write past the limit", env.AdminKey,
			`mutation($i:set_secret_input!){` + repeat(" x%d:set_secret(input:$i){success}", 900) + ` q:set_secret(input:{name:"\x41",value:1}){success}}`,
			map[string]any{"i": map[string]any{"name": "BIG", "value": strings.Repeat("x", 65000)}}, "Invalid query"},
		{"escape hiding 1e400", "", `mutation{set_secret(input:{name:"N1",value:1e400}){success} x:set_secret(input:{name:"\x41",value:1}){success}}`, nil, "Invalid"},
		{"introspection aliases", env.AdminKey, "{__schema{types{" + repeat(" a%d:description", 300) + "}}}", nil, "at most 5000 fields"},
		{"introspection lists aliased", env.AdminKey, "{" + repeat(" a%d:__schema{queryType{name}}", 11) + "}", nil, "team-wide lists"},
		{"unknown fragment", "", "query{...Nope}", nil, "unknown fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustRefuseCheaply(t, env, tt.key, tt.doc, tt.vars, tt.inMsg)
		})
	}
	if got := string(env.Do(t, env.AdminKey, "", docSecretNames, nil).Data["secret_names"]); got != "[]" {
		t.Fatalf("a refused document wrote %s", got)
	}

	// Introspection: the standard query works with a key, not without one.
	r := env.Do(t, env.AdminKey, "", introspectionQuery, nil)
	mustOK(t, r)
	if !strings.Contains(string(r.Data["__schema"]), "set_secret") {
		t.Fatalf("introspection: %.200s", r.Data["__schema"])
	}
	if r := env.Do(t, "", "", introspectionQuery, nil); len(r.Errors) == 0 && strings.Contains(string(r.Data["__schema"]), "set_secret") {
		t.Fatal("introspection answered without a key")
	}
}

// introspectionQuery is the one GraphiQL and most tools send.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`
