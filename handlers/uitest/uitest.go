// Package uitest runs the UI for tests in any package: the real local API
// (localapi/apitest) behind a proxy that can inject faults, the UI on a
// loopback HTTP server in front of it, and clients with a cookie jar that
// submit forms as a browser without JavaScript does. It also signs in to a
// UI served by another process (Attach).
package uitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
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
	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

// Reply is what the fault proxy answers instead of the real API.
type Reply struct {
	Status     int
	Body       string
	RetryAfter string        // Retry-After header, if set
	Delay      time.Duration // wait before answering (or forwarding, with Forward)
	Forward    bool          // after Delay, pass the request on
}

// Fault decides, per GraphQL operation, what the proxy in front of the real
// local API does: nil forwards the request unchanged.
type Fault func(op string) *Reply

// FailOp fails one operation with a status and body.
func FailOp(op string, status int, body string) Fault {
	return func(got string) *Reply {
		if got != op {
			return nil
		}
		return &Reply{Status: status, Body: body}
	}
}

// FailAll fails every operation.
func FailAll(status int, body string) Fault {
	return func(string) *Reply { return &Reply{Status: status, Body: body} }
}

// FaultProxy forwards to the real local API unless its fault says
// otherwise, and counts the operations it sees.
type FaultProxy struct {
	mu    sync.Mutex
	fault Fault
	calls map[string]int
	next  http.Handler
}

// Set makes f the fault (nil: none) and resets the counts.
func (p *FaultProxy) Set(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
	p.calls = map[string]int{}
}

// Count is how many times op was sent since the last Set.
func (p *FaultProxy) Count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	var rep *Reply
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

// Backend is the real local API behind a fault proxy; several UIs may
// share it.
type Backend struct {
	Env    *apitest.Env
	Proxy  *FaultProxy
	APIURL string // the proxy's GraphQL endpoint
}

// StartBackend runs the local API and its proxy until the test ends.
func StartBackend(tb testing.TB) *Backend {
	tb.Helper()
	env := apitest.Start(tb)
	target, _ := url.Parse(env.Server.URL)
	proxy := &FaultProxy{calls: map[string]int{}, next: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(proxy)
	tb.Cleanup(srv.Close)
	return &Backend{Env: env, Proxy: proxy, APIURL: srv.URL + "/graphql"}
}

// JoinTeams makes n teams named like real ones ("Data Engineering 007"),
// unless they exist, and puts user in each as USER. It returns their slugs.
func (b *Backend) JoinTeams(tb testing.TB, user string, n int) []string {
	tb.Helper()
	var slugs []string
	for i := 1; i <= n; i++ {
		slug := fmt.Sprintf("data-engineering-%03d", i)
		if _, err := b.Env.Store.TenantBySlug(tb.Context(), slug); err != nil {
			if _, err := b.Env.Store.CreateTenant(tb.Context(), slug, fmt.Sprintf("Data Engineering %03d", i)); err != nil {
				tb.Fatal(err)
			}
		}
		if err := b.Env.Store.AddMember(tb.Context(), slug, localapi.RoleUser, user); err != nil {
			tb.Fatal(err)
		}
		slugs = append(slugs, slug)
	}
	return slugs
}

// Logs collects the log output of concurrent handlers.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// UI is the UI under test and one visitor of it: a client with its own
// cookies.
type UI struct {
	T        testing.TB
	*Backend                  // nil for a UI served elsewhere (Attach)
	URL      string           // where the UI is served
	Server   *httptest.Server // nil for a UI served elsewhere
	Client   *http.Client
	Logs     *Logs // the UI's log, at debug level
	Config   handlers.Config
	token    *formToken // the last form token read, see CSRF
}

// Option changes the UI's configuration.
type Option func(*handlers.Config)

// QuickRetries retries fast so tests stay fast.
var QuickRetries = cloud.RetryPolicy{MaxAttempts: 3, BaseDelay: 5 * time.Millisecond, MaxDelay: 2 * time.Second, AttemptTimeout: 2 * time.Second}

// SessionKey is the session key UIs are started with.
var SessionKey = []byte("test-session-key-0123456789abcdef0123")

// Start runs a UI on a new backend until the test ends.
func Start(tb testing.TB, opts ...Option) *UI {
	tb.Helper()
	return StartBackend(tb).UI(tb, opts...)
}

// UI runs a UI on this backend until the test ends.
func (b *Backend) UI(tb testing.TB, opts ...Option) *UI {
	tb.Helper()
	logs := &Logs{}
	cfg := handlers.Config{
		API:         cloud.New(b.APIURL, nil, QuickRetries),
		SessionKeys: [][]byte{SessionKey},
		APITimeout:  5 * time.Second,
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv := httptest.NewServer(handlers.New(cfg))
	tb.Cleanup(srv.Close)
	u := &UI{T: tb, Backend: b, URL: srv.URL, Server: srv, Logs: logs, Config: cfg}
	u.Client = u.NewClient()
	return u
}

// Attach is a visitor of a UI served at base by another process.
func Attach(tb testing.TB, base string) *UI {
	u := &UI{T: tb, URL: base}
	u.Client = u.NewClient()
	return u
}

// Browser is another visitor of the same UI, with its own cookies.
func (u *UI) Browser() *UI {
	b := *u
	b.Client = u.NewClient()
	b.token = nil
	return &b
}

// NewClient is a client with an empty cookie jar that does not follow
// redirects.
func (u *UI) NewClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// Page is one response.
type Page struct {
	Status int
	Header http.Header
	Body   string
}

// Location is where a redirect points.
func (p Page) Location() string { return p.Header.Get("Location") }

// Do sends a request with client c and reads the whole response. It fails
// the test on a cookie no browser would keep.
func (u *UI) Do(c *http.Client, req *http.Request) Page {
	u.T.Helper()
	res, err := c.Do(req)
	if err != nil {
		u.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		// Browsers drop a cookie whose name and value pass 4,096 bytes.
		if n := len(c.Name) + 1 + len(c.Value); n >= 4096 {
			u.T.Errorf("%s %s: cookie %s is %d bytes", req.Method, req.URL.Path, c.Name, n)
		}
	}
	return Page{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// Get requests a page.
func (u *UI) Get(path string) Page {
	u.T.Helper()
	req, _ := http.NewRequest(http.MethodGet, u.URL+path, nil)
	return u.Do(u.Client, req)
}

var formTokenRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// CSRF returns the form token for the visitor's cookies, read from a page
// as a browser would; it is read again only after sign-in or sign-out
// renewed the cookies it is made from.
func (u *UI) CSRF() string {
	u.T.Helper()
	if u.token != nil && u.token.cookies == u.csrfCookies() {
		return u.token.value
	}
	p := u.Get("/login")
	if p.Status == http.StatusSeeOther { // signed in: a team's page has the sign-out form
		p = u.Get(p.Location())
	}
	m := formTokenRE.FindStringSubmatch(p.Body)
	if m == nil {
		u.T.Fatalf("no form token on the page (status %d): %s", p.Status, Excerpt(p.Body))
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
func (u *UI) csrfCookies() string {
	base, _ := url.Parse(u.URL)
	var csrf, session string
	for _, c := range u.Client.Jar.Cookies(base) {
		switch c.Name {
		case "ts_csrf":
			csrf = c.Value
		case "ts_session":
			session = "signed in"
		}
	}
	return csrf + " " + session
}

// Post submits a form with the CSRF token (unless form has one), as the
// browser would.
func (u *UI) Post(path string, form url.Values) Page {
	u.T.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("_csrf") {
		form.Set("_csrf", u.CSRF())
	}
	req, _ := http.NewRequest(http.MethodPost, u.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.Do(u.Client, req)
}

// Upload is a file in a multipart form.
type Upload struct {
	Filename, Content string
}

// PostUpload submits a multipart form as a browser does: the CSRF token
// (unless fields has one), the fields, and a file part, empty when file is
// nil (no file chosen).
func (u *UI) PostUpload(path string, fields map[string]string, file *Upload) Page {
	u.T.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if _, ok := fields["_csrf"]; !ok {
		w.WriteField("_csrf", u.CSRF())
	}
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if file != nil {
		fw, _ := w.CreateFormFile("file", file.Filename)
		io.WriteString(fw, file.Content)
	} else {
		w.CreateFormFile("file", "")
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, u.URL+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return u.Do(u.Client, req)
}

// Follow requests the redirect target of p.
func (u *UI) Follow(p Page) Page {
	u.T.Helper()
	if p.Status != http.StatusSeeOther && p.Status != http.StatusFound {
		u.T.Fatalf("expected a redirect, got %d: %s", p.Status, Excerpt(p.Body))
	}
	return u.Get(p.Location())
}

// Login signs in with key and returns the page it lands on.
func (u *UI) Login(key string) Page {
	u.T.Helper()
	p := u.Post("/login", url.Values{"key": {key}})
	if p.Status != http.StatusSeeOther {
		u.T.Fatalf("sign-in: status %d: %s", p.Status, Excerpt(p.Body))
	}
	return u.Follow(p)
}

// AddSecret adds through the form, expects success, and returns the list
// it lands on.
func (u *UI) AddSecret(team, name, value, typ string) Page {
	u.T.Helper()
	p := u.Post("/teams/"+team+"/secrets", url.Values{"name": {name}, "value": {value}, "type": {typ}})
	if p.Status != http.StatusSeeOther {
		u.T.Fatalf("add %s: status %d: %s", name, p.Status, Excerpt(p.Body))
	}
	return u.Follow(p)
}

// Value reads a secret straight from the local API (the UI never can): its
// JSON, and whether it exists. team "" is the key's own.
func (u *UI) Value(key, team, name string) (string, bool) {
	u.T.Helper()
	teamID := ""
	if team != "" {
		t, err := u.Env.Store.TenantBySlug(u.T.Context(), team)
		if err != nil {
			u.T.Fatal(err)
		}
		teamID = t.ID
	}
	r := u.Env.Do(u.T, key, teamID, `query($name: String!) { secret_value(name: $name) }`, map[string]any{"name": name})
	if len(r.Errors) > 0 {
		return "", false
	}
	return string(r.Data["secret_value"]), true
}

// Names lists the secret names of the key's own team, from the local API.
func (u *UI) Names(key string) []string {
	u.T.Helper()
	r := u.Env.Do(u.T, key, "", `query { secret_names }`, nil)
	var names []string
	json.Unmarshal(r.Data["secret_names"], &names)
	return names
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

// text is a page body without tags, for readable assertions. A <wbr> (a
// line break opportunity inside a name) is no space.
func text(body string) string {
	body = strings.ReplaceAll(body, "<wbr>", "")
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(body, " ")), " ")
}

// Excerpt is the start of a page's text, for failure messages.
func Excerpt(body string) string {
	t := text(body)
	if len(t) > 400 {
		t = t[:400]
	}
	return t
}

// MustContain fails the test unless the page's HTML or text holds each of
// parts.
func MustContain(tb testing.TB, p Page, parts ...string) {
	tb.Helper()
	for _, s := range parts {
		if !strings.Contains(p.Body, s) && !strings.Contains(text(p.Body), s) {
			tb.Errorf("page (status %d) lacks %q: %s", p.Status, s, Excerpt(p.Body))
		}
	}
}

// MustStatus stops the test unless the page has status want.
func MustStatus(tb testing.TB, p Page, want int) {
	tb.Helper()
	if p.Status != want {
		tb.Fatalf("status %d, want %d: %s", p.Status, want, Excerpt(p.Body))
	}
}

// Clock is a settable time source for expiry and rate-limit tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at a fixed time.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// WithClock gives the UI c's time.
func WithClock(c *Clock) Option { return func(cfg *handlers.Config) { cfg.Now = c.Now } }

// WithAPI points the UI at an endpoint with a retry policy and a time limit
// for one page's calls.
func WithAPI(url string, policy cloud.RetryPolicy, total time.Duration) Option {
	return func(cfg *handlers.Config) {
		cfg.API = cloud.New(url, nil, policy)
		cfg.APITimeout = total
	}
}
