package handlers_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"teamsecrets/handlers"
	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

// writeRoutes are every state-changing route with a valid form.
func writeRoutes() map[string]url.Values {
	return map[string]url.Values{
		"/login":                             {"key": {"whatever"}},
		"/logout":                            {},
		"/teams/default/secrets":             {"name": {"CSRF_NEW"}, "value": {"v"}},
		"/teams/default/secrets/KEEP/rotate": {"value": {"changed"}, "new_name": {"MOVED"}},
		"/teams/default/secrets/KEEP/delete": {},
	}
}

func TestCrossSitePostsAreRefusedOnEveryWriteRoute(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "KEEP", "original", "text")
	token := u.CSRF()

	attacks := []struct {
		name    string
		headers map[string]string
		token   string
	}{
		{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, token},
		{"foreign Origin", map[string]string{"Origin": "https://evil.example"}, token},
		{"missing token", nil, ""},
		{"forged token", nil, "forged-token-0123456789abcdef"},
		{"same-site subdomain without token", map[string]string{"Sec-Fetch-Site": "same-site"}, ""},
	}
	for _, a := range attacks {
		for path, form := range writeRoutes() {
			t.Run(a.name+" "+path, func(t *testing.T) {
				f := url.Values{}
				for k, v := range form {
					f[k] = v
				}
				f.Set("_csrf", a.token)
				req, _ := http.NewRequest(http.MethodPost, u.URL+path, strings.NewReader(f.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for k, v := range a.headers {
					req.Header.Set(k, v)
				}
				p := u.Do(u.Client, req)
				uitest.MustStatus(t, p, http.StatusForbidden)
			})
		}
	}
	// Nothing changed, and the session survived (logout was refused too).
	if got := strings.Join(u.Names(u.Env.AdminKey), ","); got != "KEEP" {
		t.Fatalf("names: %s", got)
	}
	if v, _ := u.Value(u.Env.AdminKey, "", "KEEP"); v != `"original"` {
		t.Fatalf("value changed: %s", v)
	}
	uitest.MustStatus(t, u.Get("/teams/default/secrets"), http.StatusOK)
	// A same-origin browser POST goes through.
	req, _ := http.NewRequest(http.MethodPost, u.URL+"/teams/default/secrets/KEEP/delete", strings.NewReader(""))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	uitest.MustStatus(t, u.Do(u.Client, req), http.StatusSeeOther)
}

func TestSecurityHeadersOnEveryRoute(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "H", "v", "text")
	static := regexp.MustCompile(`/static/app\.[0-9a-f]+\.css`).FindString(u.Get("/teams/default/secrets").Body)
	type route struct {
		path   string
		post   url.Values
		authed bool
	}
	routes := []route{
		{"/teams/default/secrets", nil, true},
		{"/teams/default/secrets?q=H&sort=-name&per_page=20&page=2", nil, true},
		{"/teams/default/secrets/new", nil, true},
		{"/teams/default/secrets/H/rotate", nil, true},
		{"/teams/default/secrets/H/delete", nil, true},
		{"/teams/default/secrets/NOPE/delete", nil, true},
		{"/teams/nope/secrets", nil, true},
		{"/teams", nil, true},
		{"/teams/default/secrets", url.Values{"name": {"1bad"}, "value": {"v"}}, true},
		{"/teams/default/secrets/H/rotate", url.Values{"value": {"{"}, "type": {"json"}}, true},
		{"/no/such/page", nil, true},
		{"/", nil, true},
		{static, nil, false},
		{"/logout", url.Values{}, true},
		{"/login", nil, true},
		{"/login", url.Values{"key": {"wrong"}}, true},
	}
	for _, r := range routes {
		var p uitest.Page
		if r.post != nil {
			p = u.Post(r.path, r.post)
		} else {
			p = u.Get(r.path)
		}
		h := p.Header
		csp := h.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q", r.path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: nosniff/referrer missing", r.path)
		}
		if r.authed && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", r.path, h.Get("Cache-Control"))
		}
		if !r.authed && !strings.Contains(h.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: static asset not cached long: %q", r.path, h.Get("Cache-Control"))
		}
		if strings.Contains(p.Body, "<script>") || strings.Contains(p.Body, " style=") || strings.Contains(p.Body, " onclick=") {
			t.Errorf("%s: inline script or style", r.path)
		}
	}
}

func TestSessionCookieFlags(t *testing.T) {
	u := uitest.Start(t)
	p := u.Post("/login", url.Values{"key": {u.Env.AdminKey}})
	c := findCookie(p, "ts_session")
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Fatalf("plain HTTP session cookie: %+v", c)
	}
	if strings.Contains(c.Value, u.Env.AdminKey) {
		t.Fatal("the cookie holds the key in the clear")
	}

	forced := u.Backend.UI(t, func(cfg *handlers.Config) { cfg.SecureCookies = true })
	if c := findCookie(forced.Post("/login", url.Values{"key": {u.Env.AdminKey}}), "ts_session"); c == nil || !c.Secure {
		t.Fatalf("--secure-cookies: %+v", c)
	}

	tlsSrv := httptest.NewTLSServer(handlers.New(u.Config))
	defer tlsSrv.Close()
	client := tlsSrv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client.Transport.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	login := func(path string, form url.Values, cookies ...*http.Cookie) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, tlsSrv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := login("/login", url.Values{"key": {u.Env.AdminKey}})
	var secure bool
	for _, c := range res.Cookies() {
		if c.Name == "ts_session" {
			secure = c.Secure
		}
	}
	if !secure {
		t.Fatal("session cookie over TLS is not Secure")
	}
}

func TestSessionExpiresWhenIdleAndAtItsAbsoluteLimit(t *testing.T) {
	clk := uitest.NewClock()
	u := uitest.Start(t, uitest.WithClock(clk), func(cfg *handlers.Config) {
		cfg.IdleTimeout = 30 * time.Minute
		cfg.MaxLifetime = 2 * time.Hour
	})
	u.Login(u.Env.AdminKey)

	clk.Advance(29 * time.Minute)
	uitest.MustStatus(t, u.Get("/teams/default/secrets"), http.StatusOK) // refreshes the idle clock
	clk.Advance(29 * time.Minute)
	uitest.MustStatus(t, u.Get("/teams/default/secrets"), http.StatusOK)
	clk.Advance(31 * time.Minute)
	p := u.Get("/teams/default/secrets")
	if p.Location() != "/login?expired=1" {
		t.Fatalf("after 31 idle minutes: %d %q", p.Status, p.Location())
	}
	uitest.MustContain(t, u.Follow(p), "Your session expired.")

	u.Login(u.Env.AdminKey)
	for i := 0; i < 5; i++ { // busy, never idle, for 2.5 hours
		clk.Advance(29 * time.Minute)
		p = u.Get("/teams/default/secrets")
	}
	if p.Location() != "/login?expired=1" {
		t.Fatalf("past the absolute limit: %d %q", p.Status, p.Location())
	}
}

func TestSignOutMakesTheOldCookieUseless(t *testing.T) {
	u := uitest.Start(t)
	p := u.Post("/login", url.Values{"key": {u.Env.AdminKey}})
	stolen := findCookie(p, "ts_session")
	u.Post("/logout", nil)

	thief := u.NewClient()
	req, _ := http.NewRequest(http.MethodGet, u.URL+"/teams/default/secrets", nil)
	req.AddCookie(stolen)
	res := u.Do(thief, req)
	if res.Status != http.StatusSeeOther || res.Location() != "/login" {
		t.Fatalf("replayed cookie after sign-out: %d %q", res.Status, res.Location())
	}
}

func TestSessionKeysRotateWithoutSigningAnyoneOut(t *testing.T) {
	b := uitest.StartBackend(t)
	oldKey := []byte("old-session-key-0123456789abcdef012345")
	newKey := []byte("new-session-key-0123456789abcdef012345")
	withKeys := func(keys ...[]byte) uitest.Option { return func(cfg *handlers.Config) { cfg.SessionKeys = keys } }

	before := b.UI(t, withKeys(oldKey))
	cookie := findCookie(before.Post("/login", url.Values{"key": {b.Env.AdminKey}}), "ts_session")

	try := func(u *uitest.UI) uitest.Page {
		req, _ := http.NewRequest(http.MethodGet, u.URL+"/teams/default/secrets", nil)
		req.AddCookie(cookie)
		return u.Do(u.NewClient(), req)
	}
	uitest.MustStatus(t, try(b.UI(t, withKeys(newKey, oldKey))), http.StatusOK)
	if p := try(b.UI(t, withKeys(newKey))); p.Location() != "/login" {
		t.Fatalf("a cookie of a dropped key still works: %d", p.Status)
	}
	// New cookies use the newest key.
	rotated := b.UI(t, withKeys(newKey, oldKey))
	fresh := findCookie(rotated.Post("/login", url.Values{"key": {b.Env.AdminKey}}), "ts_session")
	cookie = fresh
	uitest.MustStatus(t, try(b.UI(t, withKeys(newKey))), http.StatusOK)
}

func TestSignInAttemptsAreLimitedPerAddress(t *testing.T) {
	clk := uitest.NewClock()
	u := uitest.Start(t, uitest.WithClock(clk), func(cfg *handlers.Config) {
		cfg.LoginLimit = handlers.LoginLimit{Failures: 3, Window: time.Minute}
	})
	for i := 0; i < 3; i++ {
		uitest.MustStatus(t, u.Post("/login", url.Values{"key": {"tsk_guess"}}), http.StatusUnauthorized)
	}
	clk.Advance(15 * time.Second)
	p := u.Post("/login", url.Values{"key": {u.Env.AdminKey}})
	uitest.MustStatus(t, p, http.StatusTooManyRequests)
	uitest.MustContain(t, p, "Too many failed sign-ins from your address. Try again in 45 s.")
	if p.Header.Get("Retry-After") != "45" {
		t.Fatalf("Retry-After %q", p.Header.Get("Retry-After"))
	}
	clk.Advance(46 * time.Second)
	uitest.MustStatus(t, u.Post("/login", url.Values{"key": {u.Env.AdminKey}}), http.StatusSeeOther)
}

func TestOversizedFormGets413Page(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	p := u.Post("/teams/default/secrets", url.Values{"name": {"HUGE"}, "value": {strings.Repeat("x", 300<<10)}})
	uitest.MustStatus(t, p, http.StatusRequestEntityTooLarge)
	uitest.MustContain(t, p, "The form was too large", "Nothing was saved")
	if len(u.Names(u.Env.AdminKey)) != 0 {
		t.Fatal("saved anyway")
	}
}

func findCookie(p uitest.Page, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == name && c.MaxAge >= 0 {
			return c
		}
	}
	return nil
}

// A correct key between wrong ones must not wipe the wrong ones out: four
// guesses and the real key, over and over, is still a guessing run.
func TestSignInSuccessDoesNotResetOtherFailures(t *testing.T) {
	u := uitest.Start(t, uitest.WithClock(uitest.NewClock())) // 5 failures a minute
	var judged, blocked int
	for round := 0; round < 8; round++ {
		for i := 0; i < 4; i++ {
			switch p := u.Post("/login", url.Values{"key": {"tsk_guess"}}); p.Status {
			case http.StatusUnauthorized:
				judged++
			case http.StatusTooManyRequests:
				blocked++
			default:
				t.Fatalf("guess: status %d: %s", p.Status, uitest.Excerpt(p.Body))
			}
		}
		switch p := u.Post("/login", url.Values{"key": {u.Env.AdminKey}}); p.Status {
		case http.StatusSeeOther, http.StatusTooManyRequests:
		default:
			t.Fatalf("real key: status %d: %s", p.Status, uitest.Excerpt(p.Body))
		}
	}
	if judged > 5 || blocked == 0 {
		t.Fatalf("%d wrong keys were checked and %d blocked; want at most 5 checked", judged, blocked)
	}
}

// Guesses sent at once are counted when they arrive, not when the API has
// answered: against a slow API, 40 parallel wrong keys get 5 checks.
func TestParallelSignInGuessesAreCountedBeforeTheAPIAnswers(t *testing.T) {
	u := uitest.Start(t) // 5 failures a minute
	token := u.CSRF()
	u.Proxy.Set(func(op string) *uitest.Reply {
		if op == "AuthInfo" {
			return &uitest.Reply{Delay: 300 * time.Millisecond, Forward: true}
		}
		return nil
	})
	statuses := make([]int, 40)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			form := url.Values{"_csrf": {token}, "key": {fmt.Sprintf("tsk_guess_%d", i)}}
			req, _ := http.NewRequest(http.MethodPost, u.URL+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := u.Client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	wg.Wait()
	got := map[int]int{}
	for _, s := range statuses {
		got[s]++
	}
	if got[http.StatusUnauthorized] > 5 || got[http.StatusTooManyRequests] < 35 || u.Proxy.Count("AuthInfo") > 5 {
		t.Fatalf("statuses %v, %d keys reached the API; want at most 5 checked, the rest 429", got, u.Proxy.Count("AuthInfo"))
	}
}

// HEAD answers like GET, without a body: same status, same headers.
func TestHeadAnswersLikeGetWithoutABody(t *testing.T) {
	u := uitest.Start(t)
	visitor := u.Browser()
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "H", "v", "text")
	css := regexp.MustCompile(`/static/app\.[0-9a-f]+\.css`).FindString(u.Get("/teams/default/secrets").Body)
	for _, c := range []struct {
		who  *uitest.UI
		path string
	}{
		{visitor, "/login"},
		{visitor, "/"},
		{u, "/"},
		{u, "/teams"},
		{u, "/teams/default/secrets"},
		{u, "/teams/default/secrets?q=H"},
		{u, "/teams/default/secrets/new"},
		{u, "/teams/default/secrets/H/rotate"},
		{u, "/teams/default/secrets/H/delete"},
		{u, "/teams/nope/secrets"},
		{u, "/no/such/page"},
		{u, css},
	} {
		get := c.who.Get(c.path)
		req, _ := http.NewRequest(http.MethodHead, u.URL+c.path, nil)
		head := c.who.Do(c.who.Client, req)
		if head.Status != get.Status || head.Body != "" {
			t.Errorf("HEAD %s: status %d with %d bytes; GET: %d", c.path, head.Status, len(head.Body), get.Status)
		}
		for _, h := range []string{"Content-Type", "Content-Security-Policy", "Cache-Control", "Location"} {
			if head.Header.Get(h) != get.Header.Get(h) {
				t.Errorf("HEAD %s: %s %q, GET has %q", c.path, h, head.Header.Get(h), get.Header.Get(h))
			}
		}
	}
	if !strings.Contains(u.Logs.String(), "method=HEAD") {
		t.Error("the log calls HEAD requests something else")
	}
}

var formTokenRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// pageToken is the CSRF token of the page's forms.
func pageToken(t *testing.T, p uitest.Page) string {
	t.Helper()
	m := formTokenRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no form token on the page (status %d): %s", p.Status, uitest.Excerpt(p.Body))
	}
	return m[1]
}

// postWithToken posts a form as a browser without Sec-Fetch-Site would, so
// only the token can vouch for it.
func postWithToken(u *uitest.UI, path, token string, form url.Values) uitest.Page {
	u.T.Helper()
	f := url.Values{"_csrf": {token}}
	for k, v := range form {
		f[k] = v
	}
	req, _ := http.NewRequest(http.MethodPost, u.URL+path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.Do(u.Client, req)
}

func TestCSRFTokenIsRenewedAtSignInAndSignOut(t *testing.T) {
	u := uitest.Start(t)
	before := pageToken(t, u.Get("/login"))
	signIn := postWithToken(u, "/login", before, url.Values{"key": {u.Env.AdminKey}})
	uitest.MustStatus(t, signIn, http.StatusSeeOther)
	during := pageToken(t, u.Follow(signIn))
	if during == before {
		t.Fatal("the form token was not renewed at sign-in")
	}
	uitest.MustStatus(t, postWithToken(u, "/teams/default/secrets", before, url.Values{"name": {"OLD_TOKEN"}, "value": {"v"}}), http.StatusForbidden)
	uitest.MustStatus(t, postWithToken(u, "/teams/default/secrets", during, url.Values{"name": {"NEW_TOKEN"}, "value": {"v"}}), http.StatusSeeOther)

	signOut := postWithToken(u, "/logout", during, nil)
	uitest.MustStatus(t, signOut, http.StatusSeeOther)
	after := pageToken(t, u.Follow(signOut))
	if after == during || after == before {
		t.Fatal("the form token was not renewed at sign-out")
	}
	uitest.MustStatus(t, postWithToken(u, "/login", during, url.Values{"key": {u.Env.AdminKey}}), http.StatusForbidden)
	uitest.MustStatus(t, postWithToken(u, "/login", after, url.Values{"key": {u.Env.AdminKey}}), http.StatusSeeOther)
	if got := strings.Join(u.Names(u.Env.AdminKey), ","); got != "NEW_TOKEN" {
		t.Fatalf("names: %s", got)
	}
}

// An attacker who plants their own token cookie in a victim's browser
// (from a sibling subdomain, say) still cannot forge the victim's form
// token: it is tied to the session.
func TestCSRFTokenOfOneSessionDoesNotPassInAnother(t *testing.T) {
	u := uitest.Start(t)
	attacker, victim := u.Browser(), u.Browser()
	u.Env.Member(t, "default", localapi.RoleUser, "mallory")
	attacker.Login(u.Env.Key(t, "default", localapi.RoleUser, "mallory"))
	victim.Login(u.Env.AdminKey)
	token := pageToken(t, attacker.Get("/teams/default/secrets"))
	base, _ := url.Parse(u.URL)
	for _, c := range attacker.Client.Jar.Cookies(base) {
		if c.Name == "ts_csrf" {
			victim.Client.Jar.SetCookies(base, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/"}})
		}
	}
	p := postWithToken(victim, "/teams/default/secrets", token, url.Values{"name": {"PLANTED"}, "value": {"v"}})
	uitest.MustStatus(t, p, http.StatusForbidden)
	if n := u.Names(u.Env.AdminKey); len(n) != 0 {
		t.Fatalf("the forged form went through: %v", n)
	}
}

func TestCSRFCookieIsSecureUnderTLS(t *testing.T) {
	u := uitest.Start(t)
	srv := httptest.NewTLSServer(handlers.New(u.Config))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var found bool
	for _, c := range res.Cookies() {
		if c.Name == "ts_csrf" {
			found = true
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Fatalf("ts_csrf over TLS: %+v", c)
			}
		}
	}
	if !found {
		t.Fatal("no ts_csrf cookie")
	}
}

// Over TLS, or behind a TLS proxy (--secure-cookies), every response tells
// the browser to use HTTPS only; plain HTTP on loopback does not.
func TestStrictTransportSecurityUnderTLS(t *testing.T) {
	u := uitest.Start(t)
	tlsSrv := httptest.NewTLSServer(handlers.New(u.Config))
	defer tlsSrv.Close()
	proxied := u.Backend.UI(t, func(cfg *handlers.Config) { cfg.SecureCookies = true })
	css := regexp.MustCompile(`/static/app\.[0-9a-f]+\.css`).FindString(u.Get("/login").Body)
	type request struct{ method, path, site string }
	requests := []request{
		{http.MethodGet, "/login", ""},
		{http.MethodGet, "/", ""},
		{http.MethodGet, "/no/such/page", ""},
		{http.MethodGet, css, ""},
		{http.MethodHead, "/login", ""},
		{http.MethodPost, "/login", "cross-site"}, // refused before echo
	}
	check := func(base string, client *http.Client, want bool) {
		for _, r := range requests {
			req, _ := http.NewRequest(r.method, base+r.path, strings.NewReader("key=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if r.site != "" {
				req.Header.Set("Sec-Fetch-Site", r.site)
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			hsts := res.Header.Get("Strict-Transport-Security")
			if want && !strings.HasPrefix(hsts, "max-age=") || !want && hsts != "" {
				t.Errorf("%s %s %s: Strict-Transport-Security %q", base, r.method, r.path, hsts)
			}
		}
	}
	noRedirect := func(c *http.Client) *http.Client {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return c
	}
	check(tlsSrv.URL, noRedirect(tlsSrv.Client()), true)
	check(proxied.URL, proxied.NewClient(), true)
	check(u.URL, u.NewClient(), false)
}

// Behind a proxy (--trust-proxy) the sign-in limit counts the address the
// proxy appended last, never hops the client wrote itself, even when the
// proxy's hop is a private address (a client on the office network).
func TestSignInLimitBehindAProxyIgnoresClientWrittenHops(t *testing.T) {
	u := uitest.Start(t, func(cfg *handlers.Config) {
		cfg.TrustProxy = true
		cfg.LoginLimit = handlers.LoginLimit{Failures: 3, Window: time.Minute}
	})
	token := u.CSRF()
	try := func(i int) int {
		req, _ := http.NewRequest(http.MethodPost, u.URL+"/login",
			strings.NewReader(url.Values{"key": {"tsk_guess"}, "_csrf": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Add("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i)) // the client's own
		req.Header.Add("X-Forwarded-For", "10.1.1.2")                     // the proxy's line
		return u.Do(u.Client, req).Status
	}
	for i := range 3 {
		if got := try(i); got != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i+1, got)
		}
	}
	if got := try(99); got != http.StatusTooManyRequests {
		t.Fatalf("a fourth guess with another client-written hop: %d, want 429", got)
	}
}
