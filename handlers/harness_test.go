package handlers_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"teamsecrets/cloud"
	"teamsecrets/handlers"
	"teamsecrets/localapi/apitest"
)

// reply is what the fault proxy answers instead of the real API.
type reply struct {
	Status     int
	Body       string
	RetryAfter string        // Retry-After header, if set
	Delay      time.Duration // wait before answering (or forwarding, with Forward)
	Forward    bool          // after Delay, pass the request on
}

// fault decides, per GraphQL operation, what the proxy in front of the real
// local API does: nil forwards the request unchanged.
type fault func(op string) *reply

// failOp fails one operation with a status and body.
func failOp(op string, status int, body string) fault {
	return func(got string) *reply {
		if got != op {
			return nil
		}
		return &reply{Status: status, Body: body}
	}
}

// failAll fails every operation.
func failAll(status int, body string) fault {
	return func(string) *reply { return &reply{Status: status, Body: body} }
}

// faultProxy forwards to the real local API unless its fault says otherwise.
type faultProxy struct {
	mu    sync.Mutex
	fault fault
	calls map[string]int
	next  http.Handler
}

func (p *faultProxy) set(f fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
	p.calls = map[string]int{}
}

func (p *faultProxy) count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		OperationName string `json:"operationName"`
	}
	json.Unmarshal(body, &req)
	p.mu.Lock()
	p.calls[req.OperationName]++
	f := p.fault
	p.mu.Unlock()
	var rep *reply
	if f != nil {
		rep = f(req.OperationName)
	}
	if rep != nil && rep.Delay > 0 {
		select {
		case <-time.After(rep.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if rep == nil || rep.Forward {
		p.next.ServeHTTP(w, r)
		return
	}
	if rep.RetryAfter != "" {
		w.Header().Set("Retry-After", rep.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.Status)
	io.WriteString(w, rep.Body)
}

// backend is the real local API behind a fault proxy; several UIs may share
// it.
type backend struct {
	env   *apitest.Env
	proxy *faultProxy
	url   string // the proxy's GraphQL endpoint
}

func startBackend(t testing.TB) *backend {
	t.Helper()
	env := apitest.Start(t)
	target, _ := url.Parse(env.Server.URL)
	proxy := &faultProxy{calls: map[string]int{}, next: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return &backend{env: env, proxy: proxy, url: srv.URL + "/graphql"}
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ui is the UI under test, over real HTTP, against the real local API.
type ui struct {
	t testing.TB
	*backend
	srv    *httptest.Server
	client *http.Client
	logs   *syncBuffer
	cfg    handlers.Config
	token  *formToken // the last form token read, see csrf
}

type option func(*handlers.Config)

// testPolicy retries quickly so tests stay fast.
var testPolicy = cloud.RetryPolicy{MaxAttempts: 3, BaseDelay: 5 * time.Millisecond, MaxDelay: 2 * time.Second, AttemptTimeout: 2 * time.Second}

// startUI runs a UI on a new backend.
func startUI(t testing.TB, opts ...option) *ui {
	t.Helper()
	return startBackend(t).ui(t, opts...)
}

// ui runs a UI on this backend.
func (b *backend) ui(t testing.TB, opts ...option) *ui {
	t.Helper()
	logs := &syncBuffer{}
	cfg := handlers.Config{
		API:         cloud.New(b.url, nil, testPolicy),
		SessionKeys: [][]byte{[]byte("test-session-key-0123456789abcdef0123")},
		APITimeout:  5 * time.Second,
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv := httptest.NewServer(handlers.New(cfg))
	t.Cleanup(srv.Close)
	u := &ui{t: t, backend: b, srv: srv, logs: logs, cfg: cfg}
	u.client = u.newClient()
	return u
}

// browser is another visitor of the same UI, with its own cookies.
func (u *ui) browser() *ui {
	b := *u
	b.client = u.newClient()
	b.token = nil
	return &b
}

func (u *ui) newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// page is one response.
type page struct {
	Status int
	Header http.Header
	Body   string
}

func (p page) location() string { return p.Header.Get("Location") }

func (u *ui) do(c *http.Client, req *http.Request) page {
	u.t.Helper()
	res, err := c.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		// Browsers drop a cookie whose name and value pass 4,096 bytes.
		if n := len(c.Name) + 1 + len(c.Value); n >= 4096 {
			u.t.Errorf("%s %s: cookie %s is %d bytes", req.Method, req.URL.Path, c.Name, n)
		}
	}
	return page{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (u *ui) get(path string) page {
	u.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u.srv.URL+path, nil)
	return u.do(u.client, req)
}

// csrf returns the form token for the browser's cookies, read from a page
// as a browser would; it is read again only after sign-in or sign-out
// renewed the cookies it is made from.
func (u *ui) csrf() string {
	u.t.Helper()
	if u.token != nil && u.token.cookies == u.csrfCookies() {
		return u.token.value
	}
	p := u.get("/login")
	if p.Status == http.StatusSeeOther { // signed in: a team's page has the sign-out form
		p = u.get(p.location())
	}
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(p.Body)
	if m == nil {
		u.t.Fatalf("no form token on the page (status %d): %s", p.Status, excerpt(p.Body))
	}
	u.token = &formToken{cookies: u.csrfCookies(), value: m[1]}
	return m[1]
}

// formToken is a form token and the cookies it was made for.
type formToken struct {
	cookies string
	value   string
}

// csrfCookies sums up what a form token depends on: the token cookie, and
// whether there is a session.
func (u *ui) csrfCookies() string {
	base, _ := url.Parse(u.srv.URL)
	var csrf, session string
	for _, c := range u.client.Jar.Cookies(base) {
		switch c.Name {
		case "ts_csrf":
			csrf = c.Value
		case "ts_session":
			session = "signed in"
		}
	}
	return csrf + " " + session
}

// post submits a form with the CSRF token, like the browser would.
func (u *ui) post(path string, form url.Values) page {
	u.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("_csrf") {
		form.Set("_csrf", u.csrf())
	}
	req, _ := http.NewRequest(http.MethodPost, u.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.do(u.client, req)
}

// follow requests the redirect target of p.
func (u *ui) follow(p page) page {
	u.t.Helper()
	if p.Status != http.StatusSeeOther && p.Status != http.StatusFound {
		u.t.Fatalf("expected a redirect, got %d: %s", p.Status, excerpt(p.Body))
	}
	return u.get(p.location())
}

func (u *ui) login(key string) page {
	u.t.Helper()
	p := u.post("/login", url.Values{"key": {key}})
	if p.Status != http.StatusSeeOther {
		u.t.Fatalf("sign-in: status %d: %s", p.Status, excerpt(p.Body))
	}
	return u.follow(p)
}

// addSecret adds through the form and expects success.
func (u *ui) addSecret(team, name, value, typ string) page {
	u.t.Helper()
	p := u.post("/teams/"+team+"/secrets", url.Values{"name": {name}, "value": {value}, "type": {typ}})
	if p.Status != http.StatusSeeOther {
		u.t.Fatalf("add %s: status %d: %s", name, p.Status, excerpt(p.Body))
	}
	return u.follow(p)
}

// value reads a secret straight from the local API (the UI never can).
func (u *ui) value(key, team, name string) (string, bool) {
	u.t.Helper()
	teamID := ""
	if team != "" {
		t, err := u.env.Store.TenantBySlug(u.t.Context(), team)
		if err != nil {
			u.t.Fatal(err)
		}
		teamID = t.ID
	}
	r := u.env.Do(u.t, key, teamID, `query($name: String!) { secret_value(name: $name) }`, map[string]any{"name": name})
	if len(r.Errors) > 0 {
		return "", false
	}
	return string(r.Data["secret_value"]), true
}

func (u *ui) names(key string) []string {
	u.t.Helper()
	r := u.env.Do(u.t, key, "", `query { secret_names }`, nil)
	var names []string
	json.Unmarshal(r.Data["secret_names"], &names)
	return names
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

// text is the page body without tags, for readable assertions.
func text(body string) string {
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(body, " ")), " ")
}

func excerpt(body string) string {
	t := text(body)
	if len(t) > 400 {
		t = t[:400]
	}
	return t
}

func mustContain(t testing.TB, p page, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if !strings.Contains(p.Body, s) && !strings.Contains(text(p.Body), s) {
			t.Errorf("page (status %d) lacks %q: %s", p.Status, s, excerpt(p.Body))
		}
	}
}

func mustStatus(t testing.TB, p page, want int) {
	t.Helper()
	if p.Status != want {
		t.Fatalf("status %d, want %d: %s", p.Status, want, excerpt(p.Body))
	}
}

// clock is a settable time source for expiry and rate-limit tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func withClock(c *clock) option { return func(cfg *handlers.Config) { cfg.Now = c.Now } }

// withAPI points the UI at an endpoint with a retry policy and a time limit
// for one page's calls.
func withAPI(url string, policy cloud.RetryPolicy, total time.Duration) option {
	return func(cfg *handlers.Config) {
		cfg.API = cloud.New(url, nil, policy)
		cfg.APITimeout = total
	}
}
