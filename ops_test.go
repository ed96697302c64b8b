package main

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

// startServer runs the server in this process on a new data directory,
// with childAdminKey as its first key, and returns its base URL, what it
// printed, its data directory and the function that stops it.
func startServer(t *testing.T, args ...string) (base, out, dir string, stop func()) {
	t.Helper()
	t.Setenv(localapi.BootstrapKeyEnv, childAdminKey)
	t.Setenv(localapi.MasterKeyEnv, "")
	dir = filepath.Join(t.TempDir(), "data")
	out, stop = serveInProcess(t, append([]string{"--addr", "127.0.0.1:0", "--data-dir", dir}, args...)...)
	return listenRE.FindStringSubmatch(out)[1], out, dir, stop
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

func get(t *testing.T, url string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	return do(t, req)
}

// post sends a GraphQL request with a key (and extra headers) and returns
// the raw answer.
func post(t *testing.T, base, key, body string, headers ...string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(t, req)
}

// gqlBody is a request body for query with variables.
func gqlBody(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

// scrape reads url's metrics and parses them as Prometheus's text format.
func scrape(t *testing.T, url string) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	r := get(t, url)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") ||
		r.header.Get("Cache-Control") != "no-store" || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET %s: %d %s: %.200s", url, r.status, r.header.Get("Content-Type"), r.body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("%s is not Prometheus's text format: %v", url, err)
	}
	return r.body, fams
}

// metric sums the series of family name whose labels include want: a
// counter's or gauge's value, a histogram's count of observations. It
// reports false when no series matches.
func metric(fams map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	sum, found := 0.0, false
series:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue series
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum, found
}

// /readyz is 200 "ready" on a healthy server, and 503 with a short reason
// while the database's schema version is not this program's (here lowered
// beside the running server, as a restored older copy would be), then
// ready again; /healthz stays 200 throughout (liveness only).
func TestReadyzFollowsTheSchemaVersion(t *testing.T) {
	base, _, dir, stop := startServer(t)
	defer stop()
	r := get(t, base+"/readyz")
	if r.status != 200 || r.body != "ready\n" || r.header.Get("Cache-Control") != "no-store" ||
		r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("healthy: %d %q %v", r.status, r.body, r.header)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, localapi.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var version int
	if err := raw.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	setVersion := func(v int) {
		t.Helper()
		if _, err := raw.Exec(`PRAGMA user_version = ` + strconv.Itoa(v)); err != nil {
			t.Fatal(err)
		}
	}
	setVersion(version - 1)
	r = get(t, base+"/readyz")
	if r.status != 503 || r.body != "not ready: the store's schema is not the one this version uses\n" ||
		r.header.Get("Cache-Control") != "no-store" || strings.Contains(r.body, dir) {
		t.Fatalf("schema behind: %d %q %v", r.status, r.body, r.header)
	}
	if h := get(t, base+"/healthz"); h.status != 200 {
		t.Fatalf("/healthz while not ready: %d", h.status)
	}
	setVersion(version)
	if r := get(t, base+"/readyz"); r.status != 200 {
		t.Fatalf("schema restored: %d %q", r.status, r.body)
	}
}

// A store that does not answer (here closed) makes /readyz 503 on the
// next probe: nothing remembered hides it, and the reason names no path.
func TestReadyzOnAClosedStore(t *testing.T) {
	dir := t.TempDir()
	st, err := localapi.OpenStore(dir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(readyHandler(st))
	defer srv.Close()
	if r := get(t, srv.URL); r.status != 200 || r.body != "ready\n" {
		t.Fatalf("open store: %d %q", r.status, r.body)
	}
	st.Close()
	r := get(t, srv.URL)
	if r.status != 503 || r.body != "not ready: the store does not answer\n" || strings.Contains(r.body, dir) {
		t.Fatalf("closed store: %d %q", r.status, r.body)
	}
}

// An instance whose store was rotated to a key it was not given (its
// TEAMSECRETS_MASTER_KEY holds the old key alone) can neither open nor write
// a value: /readyz says so, in fixed words naming no key.
func TestReadyzWithoutTheStoresMasterKey(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	oldKey, newKey := b64(bytes.Repeat([]byte{0x31}, 32)), b64(bytes.Repeat([]byte{0x32}, 32))
	t.Setenv(localapi.BootstrapKeyEnv, childAdminKey)
	t.Setenv(localapi.MasterKeyEnv, oldKey)
	dir := filepath.Join(t.TempDir(), "data")
	out, stop := serveInProcess(t, "--addr", "127.0.0.1:0", "--data-dir", dir)
	defer stop()
	base := listenRE.FindStringSubmatch(out)[1]
	if r := get(t, base+"/readyz"); r.status != 200 {
		t.Fatalf("before the rotation: %d %q", r.status, r.body)
	}
	setA := `mutation { set_secret(input: {name: "A", value: "a"}) { success } }`
	if _, err := gql(base, childAdminKey, setA, nil); err != nil {
		t.Fatal(err)
	}
	t.Setenv(localapi.MasterKeyEnv, newKey+","+oldKey) // the admin shell's
	if code, out := runIn(dir, "store", "rotate-master-key"); code != 0 {
		t.Fatalf("rotation: %d %s", code, out)
	}
	t.Setenv(localapi.MasterKeyEnv, oldKey) // the server's, as it was
	r := get(t, base+"/readyz")
	if r.status != 503 || r.body != "not ready: this instance does not have the store's master key\n" ||
		strings.Contains(r.body, oldKey) || strings.Contains(r.body, newKey) {
		t.Fatalf("without the store's key: %d %q", r.status, r.body)
	}
	if _, err := gql(base, childAdminKey, `{ secret_value(name: "A") }`, nil); err == nil {
		t.Fatal("a read without the store's key succeeded")
	}
	if _, err := gql(base, childAdminKey, setA, nil); err == nil {
		t.Fatal("a write without the store's key succeeded")
	}
}

// With --api-url the UI has no store of its own: /readyz answers ready
// even while that API is unreachable (it is not this instance's to judge).
func TestReadyzWithAPIURL(t *testing.T) {
	base, _, _, stop := startServer(t, "--api-url", "http://127.0.0.1:9/graphql")
	defer stop()
	if r := get(t, base+"/readyz"); r.status != 200 || r.body != "ready\n" {
		t.Fatalf("%d %q", r.status, r.body)
	}
}

var metricsURLRE = regexp.MustCompile(`Metrics: (http://[0-9.:]+/metrics)`)

// /metrics (on the main address by default) counts what the server did:
// UI requests under echo's route patterns, the server's own routes under
// their names, unknown paths as one "unmatched"; local API requests by
// top-level field and outcome; store calls by method; refusals by the
// sign-in and API-key limits; with the Go and process collectors.
func TestMetricsCountWhatTheServerDid(t *testing.T) {
	base, _, _, stop := startServer(t)
	defer stop()
	u := uitest.Attach(t, base)
	u.Login(childAdminKey)
	u.AddSecret("default", "FROM_UI", "v", "")
	u.Get("/teams/default/secrets/FROM_UI/rotate")
	u.Get("/no/such/page")
	get(t, base+"/healthz")
	get(t, base+"/readyz")
	admin := func(query string, vars map[string]any) response {
		t.Helper()
		return post(t, base, childAdminKey, gqlBody(query, vars))
	}
	for _, r := range []response{
		admin(`mutation($n: String!) { set_secret(input: {name: $n, value: "v"}) { success } }`, map[string]any{"n": "FROM_API"}),
		admin(`query { secret_names }`, nil),
		admin(`query Names { ...F } fragment F on query_root { secret_names }`, nil),
		admin(`query { auth_info { role } api { version } }`, nil),
		admin(`query { secret_value(name: "MISSING") }`, nil),
	} {
		if r.status != 200 {
			t.Fatalf("API: %d %s", r.status, r.body)
		}
	}
	admin(`query { no_such_field }`, nil)
	admin(`query { secret_names`, nil)
	admin(`query { `+strings.Repeat("api { version } ", 1001)+`}`, nil)
	post(t, base, "tsk_not_a_key_at_all_0000000000000000", gqlBody(`query { secret_names }`, nil))

	// The sign-in limit: 5 failures a minute, the 6th attempt refused.
	other := uitest.Attach(t, base)
	for range 5 {
		if p := other.Post("/login", url.Values{"key": {"tsk_wrong_wrong_wrong_wrong_wrong_0000"}}); p.Status != http.StatusUnauthorized {
			t.Fatalf("wrong key: %d", p.Status)
		}
	}
	if p := other.Post("/login", url.Values{"key": {childAdminKey}}); p.Status != http.StatusTooManyRequests {
		t.Fatalf("sign-in after 5 failures: %d", p.Status)
	}
	// The API-key limit: 10 unknown keys a minute (one sent above).
	for range 9 {
		post(t, base, "tsk_not_a_key_at_all_0000000000000000", gqlBody(`query { secret_names }`, nil))
	}
	if r := post(t, base, childAdminKey, gqlBody(`query { secret_names }`, nil)); r.status != http.StatusTooManyRequests {
		t.Fatalf("API after 10 unknown keys: %d %s", r.status, r.body)
	}

	// Methods no route takes count as unmatched, not under a route.
	for _, path := range []string{"/teams/default/secrets", "/graphql"} {
		for _, m := range []string{"PUT", "DELETE", "OPTIONS", "PATCH"} {
			req, _ := http.NewRequest(m, base+path, nil)
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
		}
	}

	get(t, base+"/metrics") // counted in the next scrape
	text, fams := scrape(t, base+"/metrics")
	for _, c := range []struct {
		name   string
		labels []string
		want   float64 // at least
	}{
		{"teamsecrets_http_requests_total", []string{"route", "/teams/:slug/secrets", "method", "get", "code", "200"}, 1},
		{"teamsecrets_http_requests_total", []string{"route", "/teams/:slug/secrets", "method", "post", "code", "303"}, 1},
		{"teamsecrets_http_requests_total", []string{"route", "/teams/:slug/secrets/:name/rotate", "method", "get", "code", "200"}, 1},
		{"teamsecrets_http_requests_total", []string{"route", "/login", "method", "post", "code", "401"}, 5},
		{"teamsecrets_http_requests_total", []string{"route", "/login", "method", "post", "code", "429"}, 1},
		{"teamsecrets_http_requests_total", []string{"route", "unmatched", "code", "404"}, 1},
		{"teamsecrets_http_requests_total", []string{"route", "/healthz", "code", "200"}, 1},
		{"teamsecrets_http_requests_total", []string{"route", "/readyz", "code", "200"}, 1},
		{"teamsecrets_http_requests_total", []string{"route", "/metrics", "code", "200"}, 1},
		{"teamsecrets_http_requests_total", []string{"route", "/graphql", "method", "post", "code", "200"}, 5},
		{"teamsecrets_http_requests_total", []string{"route", "/graphql", "code", "429"}, 1},
		{"teamsecrets_http_request_duration_seconds", []string{"route", "/teams/:slug/secrets", "method", "get"}, 1},
		{"teamsecrets_api_requests_total", []string{"operation", "set_secret", "outcome", "ok"}, 2}, // the UI's add too
		{"teamsecrets_api_requests_total", []string{"operation", "secret_names", "outcome", "ok"}, 2},
		{"teamsecrets_api_requests_total", []string{"operation", "auth_info", "outcome", "ok"}, 1}, // the UI's sign-in
		{"teamsecrets_api_requests_total", []string{"operation", "auth_info", "outcome", "unauthenticated"}, 5},
		{"teamsecrets_api_requests_total", []string{"operation", "multiple", "outcome", "ok"}, 1},
		{"teamsecrets_api_requests_total", []string{"operation", "secret_value", "outcome", "not_found"}, 1},
		{"teamsecrets_api_requests_total", []string{"operation", "other", "outcome", "invalid"}, 2},
		{"teamsecrets_api_requests_total", []string{"operation", "api", "outcome", "refused"}, 1},
		{"teamsecrets_api_requests_total", []string{"operation", "secret_names", "outcome", "unauthenticated"}, 10},
		{"teamsecrets_api_requests_total", []string{"operation", "other", "outcome", "rate_limited"}, 1},
		{"teamsecrets_api_request_duration_seconds", []string{"operation", "set_secret"}, 2},
		{"teamsecrets_store_call_duration_seconds", []string{"method", "PutSealed"}, 2},
		{"teamsecrets_store_call_duration_seconds", []string{"method", "KeyByHash"}, 1},
		{"teamsecrets_store_call_duration_seconds", []string{"method", "Ready"}, 1},
		{"teamsecrets_limiter_refusals_total", []string{"limiter", "sign_in"}, 1},
		{"teamsecrets_limiter_refusals_total", []string{"limiter", "api_key"}, 1},
		{"teamsecrets_build_info", []string{"version", version}, 1},
		{"go_goroutines", nil, 1},
		{"process_start_time_seconds", nil, 1},
	} {
		if got, ok := metric(fams, c.name, c.labels...); !ok || got < c.want {
			t.Errorf("%s%q = %v (found %v), want at least %v", c.name, c.labels, got, ok, c.want)
		}
	}
	for _, m := range []string{"put", "delete", "options", "patch"} {
		for _, route := range []string{"/teams/:slug/secrets", "/graphql"} {
			if got, ok := metric(fams, "teamsecrets_http_requests_total", "route", route, "method", m); ok {
				t.Errorf("%s requests counted under route %s: %v", m, route, got)
			}
		}
		if _, ok := metric(fams, "teamsecrets_http_requests_total", "route", "unmatched", "method", m); !ok {
			t.Errorf("%s requests not counted as unmatched", m)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}

// With --metrics-addr, /metrics is served there alone (nothing else), and
// the main address answers 404 for it; the listener stops with the server.
func TestMetricsAddrServesMetricsAlone(t *testing.T) {
	for _, cmd := range [][]string{nil, {"api"}} {
		t.Run(strings.Join(append([]string{"serve"}, cmd...), " "), func(t *testing.T) {
			t.Setenv(localapi.BootstrapKeyEnv, childAdminKey)
			t.Setenv(localapi.MasterKeyEnv, "")
			t.Setenv("TEAMSECRETS_METRICS_ADDR", "127.0.0.1:0")
			dir := filepath.Join(t.TempDir(), "data")
			out, stop := serveInProcess(t, append(cmd, "--addr", "127.0.0.1:0", "--data-dir", dir)...)
			stopped := false
			defer func() {
				if !stopped {
					stop()
				}
			}()
			base := listenRE.FindStringSubmatch(out)[1]
			m := metricsURLRE.FindStringSubmatch(out)
			if m == nil || strings.HasPrefix(m[1], base) {
				t.Fatalf("no separate metrics address printed: %s", out)
			}
			metricsURL := m[1]
			post(t, base, childAdminKey, gqlBody(`query { secret_names }`, nil))
			if r := get(t, base+"/metrics"); r.status != 404 || strings.Contains(r.body, "teamsecrets_") {
				t.Fatalf("main address /metrics: %d %.200s", r.status, r.body)
			}
			_, fams := scrape(t, metricsURL)
			if n, _ := metric(fams, "teamsecrets_api_requests_total", "operation", "secret_names"); n != 1 {
				t.Fatalf("the metrics listener does not count the main address's requests: %v", n)
			}
			if n, _ := metric(fams, "teamsecrets_http_requests_total", "route", "unmatched", "code", "404"); n != 1 {
				t.Fatalf("the main address's /metrics is not counted as unmatched: %v", n)
			}
			metricsBase := strings.TrimSuffix(metricsURL, "/metrics")
			for _, path := range []string{"/healthz", "/readyz", "/graphql", "/", "/login"} {
				if r := get(t, metricsBase+path); r.status != 404 {
					t.Errorf("metrics address %s: %d", path, r.status)
				}
			}
			stop()
			stopped = true
			if _, err := http.Get(metricsURL); err == nil {
				t.Fatal("the metrics listener outlived the server")
			}
		})
	}
}

// No label of /metrics holds what a request carried: the product is used
// through the real server with canary team slugs and ids, user names,
// secret names and values, API keys and key ids, client addresses, request
// ids and operation names, on every kind of route (pages, the API, unknown
// paths, refusals), and none of them is in what /metrics answers.
func TestMetricsHoldNoRequestText(t *testing.T) {
	base, _, dir, stop := startServer(t, "--trust-proxy")
	defer stop()
	cmd := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if code := run(t.Context(), append(args, "--data-dir", dir), &out, &out); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, out.String())
		}
		return out.String()
	}
	const (
		slug     = "canaryteamslugq7"
		user     = "canaryuserk3v"
		secret   = "CANARYSECRETX9"
		value    = "canaryvaluez5"
		keyName  = "canarykeynamew2"
		addr     = "203.0.113.77"
		reqID    = "canaryrequestidm4"
		opName   = "CanaryOperationJ8"
		wrongKey = "tsk_CanaryWrongKeyAbcdefghijklmnopqrstuv"
	)
	cmd("team", "create", slug, "Canary team")
	cmd("member", "add", "--team", slug, "--role", "TENANT_ADMIN", "--user", user)
	userKey := regexp.MustCompile(`tsk_[A-Za-z0-9_-]{40,}`).FindString(cmd("key", "create", "--team", slug, "--user", user))
	if userKey == "" {
		t.Fatal("no key made")
	}

	hdrs := []string{"X-Forwarded-For", addr, "X-Request-ID", reqID}
	api := func(key, query string, vars map[string]any) map[string]json.RawMessage {
		t.Helper()
		r := post(t, base, key, gqlBody(query, vars), hdrs...)
		var out struct{ Data map[string]json.RawMessage }
		json.Unmarshal([]byte(r.body), &out)
		return out.Data
	}
	var teams []struct{ ID, Slug string }
	json.Unmarshal(api(userKey, `query { tenant { id slug } }`, nil)["tenant"], &teams)
	teamID := ""
	for _, tm := range teams {
		if tm.Slug == slug {
			teamID = tm.ID
		}
	}
	if teamID == "" {
		t.Fatalf("the canary team is not listed: %+v", teams)
	}
	var made struct{ ID, Key string }
	json.Unmarshal(api(userKey, `mutation($n: String!) { create_api_key(input: {name: $n}) { id key } }`, map[string]any{"n": keyName})["create_api_key"], &made)
	if made.ID == "" || made.Key == "" {
		t.Fatal("create_api_key made no key")
	}
	api(made.Key, `mutation($n: String!, $v: JSON!) { set_secret(input: {name: $n, value: $v}) { success } }`, map[string]any{"n": secret, "v": value})
	api(made.Key, `query `+opName+` { secret_names }`, nil)
	post(t, base, made.Key, `{"query":"query `+opName+` { secret_value(name: \"`+secret+`\") }","operationName":"`+opName+`"}`, hdrs...)
	api(made.Key, `query { `+secret+` }`, nil)                               // an unknown field
	api(made.Key, `query { secret_value(name: "`+secret+`_MISSING") }`, nil) // not found
	api(wrongKey, `query { secret_names }`, nil)                             // unauthenticated
	api(made.Key, `mutation($id: UUID!) { delete_api_key(input: {key_id: $id}) { success } }`, map[string]any{"id": made.ID})

	// The UI, signed in with the canary user's key.
	u := uitest.Attach(t, base)
	u.Post("/login", url.Values{"key": {wrongKey}}) // a failed sign-in
	u.Login(userKey)
	team := "/teams/" + slug
	u.AddSecret(slug, secret+"UI", value, "")
	for _, path := range []string{
		team + "/secrets", team + "/secrets?q=" + secret, team + "/secrets/" + secret + "/rotate",
		team + "/secrets/" + secret + "/delete", team + "/keys", team + "/history?secret=" + secret,
		team + "/secrets/exists?name=" + secret, "/" + secret, team + "/" + secret + "/nowhere",
	} {
		u.Get(path)
	}
	u.Post(team+"/secrets/"+secret+"/rotate", url.Values{"value": {value + "2"}})
	u.Post(team+"/secrets/"+secret+"UI/delete", nil)
	// And over the limits: the sign-in limit from the canary address.
	other := uitest.Attach(t, base)
	for range 6 {
		req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"key": {wrongKey}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", addr)
		other.Do(other.Client, req)
	}

	text, fams := scrape(t, base+"/metrics")
	// The requests were counted (else this test would prove nothing) ...
	for _, c := range [][]string{
		{"teamsecrets_api_requests_total", "operation", "set_secret"},
		{"teamsecrets_api_requests_total", "operation", "create_api_key"},
		{"teamsecrets_api_requests_total", "operation", "secret_value", "outcome", "not_found"},
		{"teamsecrets_http_requests_total", "route", "/teams/:slug/secrets/:name/rotate"},
		{"teamsecrets_http_requests_total", "route", "/teams/:slug/history"},
	} {
		if n, _ := metric(fams, c[0], c[1:]...); n == 0 {
			t.Errorf("not counted: %q", c)
		}
	}
	// ... and nothing they carried is in a label.
	lower := strings.ToLower(text)
	for what, canary := range map[string]string{
		"a canary (slug, user, secret name or value, key name, request id, operation name, path)": "canary",
		"the team id": teamID, "the key id": made.ID, "the API key": made.Key, "the user's key": userKey,
		"the client address": addr, "the admin key": childAdminKey,
	} {
		if strings.Contains(lower, strings.ToLower(canary)) {
			t.Errorf("/metrics holds %s", what)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}
