package handlers_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"teamsecrets/cloud"
	"teamsecrets/handlers/uitest"
)

// fastPolicy keeps fault tests quick: three attempts, short waits, a 300 ms
// limit per attempt.
var fastPolicy = cloud.RetryPolicy{MaxAttempts: 3, BaseDelay: 5 * time.Millisecond, MaxDelay: 2 * time.Second, AttemptTimeout: 300 * time.Millisecond}

// Each backend fault gives the user a page that says what happened with a
// fitting status, after bounded retries, and leaves no goroutine behind.
func TestBackendFaultsOnTheListPage(t *testing.T) {
	b := uitest.StartBackend(t)
	u := b.UI(t, uitest.WithAPI(b.APIURL, fastPolicy, time.Second))
	u.Login(u.Env.AdminKey)

	tests := []struct {
		name       string
		reply      uitest.Reply
		status     int
		message    string
		attempts   int
		retryAfter string
	}{
		{"500", uitest.Reply{Status: 500, Body: `{"errors":[{"message":"internal"}]}`}, 502, "The secrets API failed (HTTP 500 Internal Server Error).", 3, ""},
		{"502", uitest.Reply{Status: 502, Body: `<html>bad gateway</html>`}, 502, "HTTP 502 Bad Gateway", 3, ""},
		{"429 with a short Retry-After is retried", uitest.Reply{Status: 429, RetryAfter: "0"}, 503, "rate limiting requests", 3, ""},
		{"429 with a long Retry-After is not waited for", uitest.Reply{Status: 429, RetryAfter: "120"}, 503, "Try again in 120 s.", 1, "120"},
		{"malformed JSON", uitest.Reply{Status: 200, Body: `{"data": {"secret_names": [`}, 502, "not valid GraphQL JSON", 1, ""},
		{"GraphQL error", uitest.Reply{Status: 200, Body: `{"errors":[{"message":"db down","extensions":{"code":"API_ERROR"}}]}`}, 502, "The secrets API reported an error.", 1, ""},
		{"errors and data mixed", uitest.Reply{Status: 200, Body: `{"data":{"secret_names":["PARTIAL_ONLY"]},"errors":[{"message":"partial failure"}]}`}, 502, "reported an error", 1, ""},
		{"timeout", uitest.Reply{Delay: 2 * time.Second, Forward: true}, 504, "did not answer in time", 3, ""},
		{"slow but in time", uitest.Reply{Delay: 150 * time.Millisecond, Forward: true}, 200, "No secrets yet", 1, ""},
		{"forbidden", uitest.Reply{Status: 200, Body: `{"errors":[{"message":"no","extensions":{"code":"FORBIDDEN"}}]}`}, 403, "may not do that", 1, ""},
	}
	before := runtime.NumGoroutine()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := tt.reply
			u.Proxy.Set(func(string) *uitest.Reply { return &rep })
			defer u.Proxy.Set(nil)
			start := time.Now()
			p := u.Get("/teams/default/secrets")
			took := time.Since(start)
			uitest.MustStatus(t, p, tt.status)
			uitest.MustContain(t, p, tt.message)
			if n := strings.Count(p.Body, "Try again in"); n != 1 && tt.status != 200 && tt.status != 403 {
				t.Errorf("the page says when to try again %d times", n)
			}
			if strings.Contains(p.Body, "PARTIAL_ONLY") {
				t.Error("a partial answer was shown as the list")
			}
			if got := u.Proxy.Count("ListSecretPage"); got != tt.attempts {
				t.Errorf("attempts %d, want %d", got, tt.attempts)
			}
			if got := p.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if took > 2*time.Second {
				t.Errorf("took %v: retries are not bounded by the page's time limit", took)
			}
		})
	}
	t.Run("unauthenticated mid-session sends to sign-in", func(t *testing.T) {
		u.Proxy.Set(uitest.FailAll(200, `{"errors":[{"message":"bad key","extensions":{"code":"UNAUTHENTICATED"}}]}`))
		p := u.Get("/teams/default/secrets")
		u.Proxy.Set(nil)
		uitest.MustStatus(t, p, http.StatusSeeOther)
		if p.Location() != "/login?rejected=1" {
			t.Fatalf("redirect to %q", p.Location())
		}
		uitest.MustContain(t, u.Follow(p), "no longer accepts the key")
		if loc := u.Get("/teams/default/secrets").Location(); loc != "/login" {
			t.Fatalf("session still usable: %q", loc)
		}
	})
	t.Run("refused connection", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		down := b.UI(t, uitest.WithAPI("http://"+addr+"/graphql", fastPolicy, time.Second))
		p := down.Post("/login", url.Values{"key": {"k"}})
		uitest.MustStatus(t, p, http.StatusServiceUnavailable)
		uitest.MustContain(t, p, "not reachable (connection refused)")
	})

	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	u.Client.CloseIdleConnections()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Errorf("goroutines: %d before, %d after: a leak", before, n)
	}
}

// Failed writes change nothing: set_secret is retried (idempotent),
// delete_secret never is.
func TestBackendFaultsOnWritesChangeNothing(t *testing.T) {
	b := uitest.StartBackend(t)
	u := b.UI(t, uitest.WithAPI(b.APIURL, fastPolicy, time.Second))
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "STAYS", "v", "text")

	u.Proxy.Set(uitest.FailOp("SetSecret", 500, ""))
	p := u.Post("/teams/default/secrets", url.Values{"name": {"NEW_ONE"}, "value": {"v"}})
	uitest.MustStatus(t, p, http.StatusBadGateway)
	uitest.MustContain(t, p, "Nothing was saved", `value="NEW_ONE"`, "enter it again")
	if got := u.Proxy.Count("SetSecret"); got != 3 {
		t.Errorf("set_secret sent %d times, want 3", got)
	}
	u.Proxy.Set(uitest.FailOp("DeleteSecret", 500, ""))
	p = u.Post("/teams/default/secrets/STAYS/delete", nil)
	uitest.MustStatus(t, p, http.StatusBadGateway)
	if got := u.Proxy.Count("DeleteSecret"); got != 1 {
		t.Errorf("delete_secret sent %d times, want 1", got)
	}
	u.Proxy.Set(nil)
	if got := strings.Join(u.Names(u.Env.AdminKey), ","); got != "STAYS" {
		t.Fatalf("names after failed writes: %s", got)
	}
}

// A visitor who leaves while the API is slow gets no page, and the log
// holds no failure: the request's line says the visitor was gone.
func TestVisitorWhoLeavesIsNotAnAPIFailure(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	form := func(v url.Values) url.Values { v.Set("_csrf", u.CSRF()); return v }
	for _, tc := range []struct {
		name, op, method, path string
		form                   url.Values
	}{
		{"list", "ListSecretPage", http.MethodGet, "/teams/default/secrets", nil},
		{"add", "ListSecretNames", http.MethodPost, "/teams/default/secrets", form(url.Values{"name": {"GONE"}, "value": {"v"}})},
		{"sign-in", "AuthInfo", http.MethodPost, "/login", form(url.Values{"key": {u.Env.AdminKey}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u.Proxy.Set(func(op string) *uitest.Reply {
				if op == tc.op {
					return &uitest.Reply{Delay: 3 * time.Second, Forward: true}
				}
				return nil
			})
			defer u.Proxy.Set(nil)
			before := len(u.Logs.String())
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, tc.method, u.URL+tc.path, strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if res, err := u.Client.Do(req); err == nil {
				res.Body.Close()
				t.Fatalf("the request was answered (%d), not cut off", res.StatusCode)
			}
			deadline := time.Now().Add(2 * time.Second)
			for !strings.Contains(u.Logs.String()[before:], "client_gone=true") {
				if time.Now().After(deadline) {
					t.Fatalf("no request line for the visitor who left: %s", u.Logs.String()[before:])
				}
				time.Sleep(20 * time.Millisecond)
			}
			logs := u.Logs.String()[before:]
			if strings.Contains(logs, "api call failed") || strings.Contains(logs, "level=ERROR") {
				t.Fatalf("the visitor leaving was logged as a failure: %s", logs)
			}
			for _, line := range strings.Split(logs, "\n") {
				if strings.Contains(line, "client_gone=true") && !strings.Contains(line, " status=0 ") {
					t.Fatalf("the request line gives a status: %s", line)
				}
			}
		})
	}
	if got := u.Names(u.Env.AdminKey); len(got) != 0 {
		t.Fatalf("a write went through after its visitor left: %v", got)
	}
}
