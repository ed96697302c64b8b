package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi/store/pgtest"
)

// An instance on PostgreSQL through a database outage, as its users see
// it: the database goes down, then stops answering (a partition, or its
// processes paused with SIGSTOP), then comes back. Nobody is signed out by
// the outage, no sign-out is pretended, and no request waits past its time
// limit: the UI's (--api-timeout) or the API's (10 s per document).
func TestADatabaseOutageSignsNobodyOutAndHoldsNoRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process and waits out the API's time limit")
	}
	proxy := pgtest.NewProxy(t, pgtest.URL(t))
	mk := make([]byte, 32)
	rand.Read(mk)
	cmd := exec.Command(os.Args[0], "--addr", "127.0.0.1:0", "--api-timeout", "1s")
	cmd.Env = []string{
		"TEAMSECRETS_DATABASE_URL=" + proxy.URL, "TEAMSECRETS_CREATE_STORE=true",
		"TEAMSECRETS_MASTER_KEY=" + base64.StdEncoding.EncodeToString(mk),
		"TEAMSECRETS_SESSION_KEYS=" + string(uitest.SessionKey),
	}
	c := startChildCmd(t, cmd, t.TempDir())
	if _, err := gql(c.url, childAdminKey, `mutation { set_secret(input: {name: "KEPT", value: "v"}) { success } }`, nil); err != nil {
		t.Fatal(err)
	}
	u := uitest.Attach(t, c.url)
	u.Login(childAdminKey)
	u.CSRF()
	cookies := func(p uitest.Page) string { return strings.Join(p.Header.Values("Set-Cookie"), "; ") }

	// Down: the page says so, the cookie stays, the sign-out is not pretended.
	proxy.Refuse()
	p := u.Get("/teams/default/secrets")
	uitest.MustStatus(t, p, http.StatusServiceUnavailable)
	uitest.MustContain(t, p, "The secrets store is not answering. Try again in a moment.")
	if strings.Contains(p.Body, "KEPT") || strings.Contains(cookies(p), "ts_session") {
		t.Fatalf("during the outage: the page shows the list or touches the session cookie (%s)", cookies(p))
	}
	p = u.Post("/logout", nil)
	uitest.MustStatus(t, p, http.StatusServiceUnavailable)
	uitest.MustContain(t, p, "Your sign-out could not be recorded", "You are still signed in.")
	if strings.Contains(cookies(p), "ts_session") {
		t.Fatalf("a sign-out that was not recorded cleared the cookie: %s", cookies(p))
	}

	// Not answering: the page gives up at --api-timeout, the API at its
	// time limit per document.
	proxy.Hang()
	p = u.Get("/teams/default/secrets")
	uitest.MustStatus(t, p, http.StatusGatewayTimeout)
	uitest.MustContain(t, p, "The secrets store did not answer in time.")
	// The API answers at its time limit, or sooner when the store's pool
	// gives up connecting (postgres.ConnectTimeout) and the request fails.
	status, msg := postNames(t, c.url)
	if !(status == http.StatusBadRequest && strings.HasPrefix(msg, "Request took too long and was stopped")) &&
		!strings.HasPrefix(msg, "Internal error") {
		t.Fatalf("secret_names while the database hangs: HTTP %d %q", status, msg)
	}

	// Back: the same browser is still signed in, and signs out for real.
	proxy.Pass()
	until := time.Now().Add(30 * time.Second)
	for p = u.Get("/teams/default/secrets"); p.Status != http.StatusOK; p = u.Get("/teams/default/secrets") {
		if time.Now().After(until) {
			t.Fatalf("the UI does not recover once the database is back: %d %s", p.Status, uitest.Excerpt(p.Body))
		}
		time.Sleep(200 * time.Millisecond)
	}
	uitest.MustContain(t, p, "KEPT")
	copied := u.Client.Jar.Cookies(mustURL(t, c.url))
	if p := u.Post("/logout", nil); p.Status != http.StatusSeeOther || p.Location() != "/login?signed_out=1" {
		t.Fatalf("sign-out after the outage: %d %s", p.Status, p.Location())
	}
	thief := uitest.Attach(t, c.url)
	thief.Client.Jar.SetCookies(mustURL(t, c.url), copied)
	if p := thief.Get("/teams/default/secrets"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/login") {
		t.Fatalf("the cookie from before the sign-out still works: %d %s", p.Status, p.Location())
	}
}

// postNames sends { secret_names } with the admin key, giving the server
// far longer than its time limit, and returns the status and first error.
func postNames(t *testing.T, base string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(`{"query": "query { secret_names }"}`))
	req.Header.Set("Authorization", "Bearer "+childAdminKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := (&http.Client{Timeout: 40 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("secret_names: no answer: %v", err)
	}
	defer res.Body.Close()
	var out struct{ Errors []struct{ Message string } }
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil || len(out.Errors) == 0 {
		return res.StatusCode, buf.String()
	}
	return res.StatusCode, out.Errors[0].Message
}
