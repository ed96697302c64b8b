package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"teamsecrets/handlers"
	"teamsecrets/handlers/uitest"
)

// outage is the record of sign-outs (as the database instances share
// keeps it) with a switch for its failures.
type outage struct {
	mu      sync.Mutex
	revoked map[string]time.Time
	// reads and writes: 0 answer, failRefused fail at once (the database
	// refuses connections), failHang wait for the context's end (it stopped
	// answering).
	reads, writes atomic.Int32
	calls         atomic.Int32
}

const (
	answer = iota
	failRefused
	failHang
)

var errRefused = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

func newOutage() *outage { return &outage{revoked: map[string]time.Time{}} }

// down makes reads and writes fail as mode says; answer ends the outage.
func (o *outage) down(mode int32) { o.reads.Store(mode); o.writes.Store(mode) }

func fail(ctx context.Context, mode int32) error {
	switch mode {
	case failRefused:
		return errRefused
	case failHang:
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (o *outage) RevokeSession(ctx context.Context, id string, until time.Time) error {
	o.calls.Add(1)
	if err := fail(ctx, o.writes.Load()); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.revoked[id] = until
	return nil
}

func (o *outage) SessionRevoked(ctx context.Context, id string) (bool, error) {
	o.calls.Add(1)
	if err := fail(ctx, o.reads.Load()); err != nil {
		return false, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.revoked[id]
	return ok, nil
}

func (o *outage) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.revoked)
}

func withRevocations(r handlers.Revocations) uitest.Option {
	return func(cfg *handlers.Config) { cfg.Revocations = r }
}

func withAPITimeout(d time.Duration) uitest.Option {
	return func(cfg *handlers.Config) { cfg.APITimeout = d }
}

// sessionCookieSet reports whether the response sets (or clears) the
// session cookie.
func sessionCookieSet(p uitest.Page) bool {
	for _, c := range p.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "ts_session=") {
			return true
		}
	}
	return false
}

// While the record of sign-outs cannot be read, no page is served on the
// session (it may have been signed out elsewhere), but the visitor is not
// signed out either: the page says the store is not answering, the cookie
// is left alone, and the next page after the outage works.
func TestASessionThatCannotBeCheckedGetsAnErrorPageAndStaysSignedIn(t *testing.T) {
	rev := newOutage()
	u := uitest.Start(t, withRevocations(rev))
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "OUTAGE_NAME", "v", "text")

	rev.down(failRefused)
	for _, path := range []string{"/", "/teams/default/secrets", "/teams/default/secrets/new", "/teams/default/keys", "/teams"} {
		p := u.Get(path)
		uitest.MustStatus(t, p, http.StatusServiceUnavailable)
		uitest.MustContain(t, p, "The secrets store is not answering. Try again in a moment.", "still signed in", "Try again")
		if strings.Contains(p.Body, "OUTAGE_NAME") || strings.Contains(p.Body, "Sign out") {
			t.Errorf("%s: the page shows something of the unverified session: %s", path, uitest.Excerpt(p.Body))
		}
		if sessionCookieSet(p) {
			t.Errorf("%s: the session cookie was touched: %q", path, p.Header.Values("Set-Cookie"))
		}
	}
	// A write is refused too, and nothing is written.
	p := u.Post("/teams/default/secrets", url.Values{"name": {"DURING_OUTAGE"}, "value": {"v"}, "type": {"text"}})
	uitest.MustStatus(t, p, http.StatusServiceUnavailable)
	uitest.MustContain(t, p, "Nothing was changed")
	if sessionCookieSet(p) {
		t.Errorf("a write during the outage touched the session cookie")
	}
	if !strings.Contains(u.Logs.String(), "connection refused") {
		t.Errorf("the log does not say why: %s", u.Logs.String())
	}

	rev.down(answer)
	p = u.Get("/teams/default/secrets")
	uitest.MustStatus(t, p, http.StatusOK)
	uitest.MustContain(t, p, "OUTAGE_NAME")
	if got := strings.Join(u.Names(u.Env.AdminKey), ","); got != "OUTAGE_NAME" {
		t.Fatalf("names after the outage: %s", got)
	}
}

// A sign-out that cannot be recorded says so and changes nothing: the
// visitor is still signed in, with a sign-out form to try again; once the
// store answers, signing out works and a copy of the cookie is refused.
func TestASignOutThatCannotBeRecordedSaysSoAndKeepsTheSession(t *testing.T) {
	rev := newOutage()
	u := uitest.Start(t, withRevocations(rev))
	u.Login(u.Env.AdminKey)
	base, _ := url.Parse(u.URL)
	copied := u.Client.Jar.Cookies(base)

	rev.down(failRefused)
	p := u.Post("/logout", nil)
	uitest.MustStatus(t, p, http.StatusServiceUnavailable)
	uitest.MustContain(t, p, "Sign-out not recorded", "Your sign-out could not be recorded: the secrets store is not answering.",
		"You are still signed in. Sign out again in a moment.", `action="/logout"`)
	if sessionCookieSet(p) || strings.Contains(strings.Join(p.Header.Values("Set-Cookie"), ";"), "ts_csrf=") {
		t.Fatalf("a sign-out that was not recorded changed the cookies: %q", p.Header.Values("Set-Cookie"))
	}
	if rev.count() != 0 {
		t.Fatal("a revocation was recorded during the outage")
	}

	rev.down(answer)
	uitest.MustStatus(t, u.Get("/teams/default/secrets"), http.StatusOK) // still signed in
	p = u.Post("/logout", nil)
	uitest.MustStatus(t, p, http.StatusSeeOther)
	if p.Location() != "/login?signed_out=1" || rev.count() != 1 {
		t.Fatalf("sign-out after the outage: %s, %d revocations", p.Location(), rev.count())
	}
	thief := u.Browser()
	thief.Client.Jar.SetCookies(base, copied)
	if p := thief.Get("/teams/default/secrets"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/login") {
		t.Fatalf("the copied cookie still works after sign-out: %d %s", p.Status, p.Location())
	}
}

// When only reading the record fails, signing out still records the
// sign-out: the cookie is taken as it is, not checked first.
func TestSignOutIsRecordedWhenOnlyReadingTheRecordFails(t *testing.T) {
	rev := newOutage()
	u := uitest.Start(t, withRevocations(rev))
	u.Login(u.Env.AdminKey)
	base, _ := url.Parse(u.URL)
	copied := u.Client.Jar.Cookies(base)

	rev.reads.Store(failRefused)
	p := u.Post("/logout", nil)
	uitest.MustStatus(t, p, http.StatusSeeOther)
	if p.Location() != "/login?signed_out=1" || rev.count() != 1 {
		t.Fatalf("sign-out while reads fail: %d %s, %d revocations recorded", p.Status, p.Location(), rev.count())
	}
	rev.reads.Store(answer)
	thief := u.Browser()
	thief.Client.Jar.SetCookies(base, copied)
	if p := thief.Get("/teams/default/secrets"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/login") {
		t.Fatalf("the copied cookie still works after sign-out: %d %s", p.Status, p.Location())
	}
}

// A store that stops answering holds a page for at most the UI's API time
// limit: then the page says it did not answer in time (504), and the
// visitor stays signed in. A sign-out is bounded alike.
func TestAStoreThatHangsIsGivenUpOnAfterTheAPITimeLimit(t *testing.T) {
	rev := newOutage()
	u := uitest.Start(t, withRevocations(rev), withAPITimeout(300*time.Millisecond))
	u.Login(u.Env.AdminKey)
	u.CSRF()
	// Without a limit the store would hold the request until the client
	// gives up.
	u.Client.Timeout = 20 * time.Second

	rev.down(failHang)
	p := u.Get("/teams/default/secrets")
	uitest.MustStatus(t, p, http.StatusGatewayTimeout)
	uitest.MustContain(t, p, "The secrets store did not answer in time. Try again in a moment.", "still signed in")
	if sessionCookieSet(p) {
		t.Fatal("a page the store did not answer for touched the session cookie")
	}
	p = u.Post("/logout", nil)
	uitest.MustStatus(t, p, http.StatusGatewayTimeout)
	uitest.MustContain(t, p, "Sign-out not recorded", "did not answer in time", "You are still signed in.")

	rev.down(answer)
	uitest.MustStatus(t, u.Get("/teams/default/secrets"), http.StatusOK)
}

// An expired session goes to sign-in without asking the store: an outage
// does not hold it up.
func TestAnExpiredSessionNeedsNoStore(t *testing.T) {
	rev := newOutage()
	clock := uitest.NewClock()
	u := uitest.Start(t, withRevocations(rev), uitest.WithClock(clock))
	u.Login(u.Env.AdminKey)
	clock.Advance(13 * time.Hour)
	rev.down(failRefused)
	p := u.Get("/teams/default/secrets")
	if p.Status != http.StatusSeeOther || p.Location() != "/login?expired=1" {
		t.Fatalf("expired session during an outage: %d %s", p.Status, p.Location())
	}
}
