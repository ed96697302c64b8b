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

// fault decides, per GraphQL operation, whether the proxy in front of the
// real local API fails it instead of passing it on.
type fault func(op string) (status int, body string, fail bool)

// faultProxy forwards to the real local API unless its fault says fail.
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
	if f != nil {
		if status, out, fail := f(req.OperationName); fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, out)
			return
		}
	}
	p.next.ServeHTTP(w, r)
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
	t      testing.TB
	env    *apitest.Env
	proxy  *faultProxy
	srv    *httptest.Server
	client *http.Client
	logs   *syncBuffer
	cfg    handlers.Config
}

type option func(*handlers.Config)

func startUI(t testing.TB, opts ...option) *ui {
	t.Helper()
	env := apitest.Start(t)
	target, _ := url.Parse(env.Server.URL)
	proxy := &faultProxy{calls: map[string]int{}, next: httputil.NewSingleHostReverseProxy(target)}
	apiSrv := httptest.NewServer(proxy)
	t.Cleanup(apiSrv.Close)
	logs := &syncBuffer{}
	policy := cloud.DefaultRetryPolicy
	policy.BaseDelay = 5 * time.Millisecond
	policy.AttemptTimeout = 2 * time.Second
	cfg := handlers.Config{
		API:         cloud.New(apiSrv.URL+"/graphql", nil, policy),
		SessionKeys: [][]byte{[]byte("test-session-key-0123456789abcdef0123")},
		APITimeout:  5 * time.Second,
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv := httptest.NewServer(handlers.New(cfg))
	t.Cleanup(srv.Close)
	u := &ui{t: t, env: env, proxy: proxy, srv: srv, logs: logs, cfg: cfg}
	u.client = u.newClient()
	return u
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
	return page{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (u *ui) get(path string) page {
	u.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u.srv.URL+path, nil)
	return u.do(u.client, req)
}

// csrf returns the double-submit token from the cookie jar, fetching the
// sign-in page first if there is none yet.
func (u *ui) csrf() string {
	u.t.Helper()
	base, _ := url.Parse(u.srv.URL)
	for i := 0; i < 2; i++ {
		for _, c := range u.client.Jar.Cookies(base) {
			if c.Name == "ts_csrf" {
				return c.Value
			}
		}
		u.get("/login")
	}
	u.t.Fatal("no csrf cookie")
	return ""
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
