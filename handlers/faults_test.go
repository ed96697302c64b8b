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
)

// fastPolicy keeps fault tests quick: three attempts, short waits, a 300 ms
// limit per attempt.
var fastPolicy = cloud.RetryPolicy{MaxAttempts: 3, BaseDelay: 5 * time.Millisecond, MaxDelay: 2 * time.Second, AttemptTimeout: 300 * time.Millisecond}

// Each backend fault gives the user a page that says what happened with a
// fitting status, after bounded retries, and leaves no goroutine behind.
func TestBackendFaultsOnTheListPage(t *testing.T) {
	b := startBackend(t)
	u := b.ui(t, withAPI(b.url, fastPolicy, time.Second))
	u.login(u.env.AdminKey)

	tests := []struct {
		name       string
		reply      reply
		status     int
		message    string
		attempts   int
		retryAfter string
	}{
		{"500", reply{Status: 500, Body: `{"errors":[{"message":"internal"}]}`}, 502, "The secrets API failed (HTTP 500 Internal Server Error).", 3, ""},
		{"502", reply{Status: 502, Body: `<html>bad gateway</html>`}, 502, "HTTP 502 Bad Gateway", 3, ""},
		{"429 with a short Retry-After is retried", reply{Status: 429, RetryAfter: "0"}, 503, "rate limiting requests", 3, ""},
		{"429 with a long Retry-After is not waited for", reply{Status: 429, RetryAfter: "120"}, 503, "Try again in 120 s.", 1, "120"},
		{"malformed JSON", reply{Status: 200, Body: `{"data": {"secret_names": [`}, 502, "not valid GraphQL JSON", 1, ""},
		{"GraphQL error", reply{Status: 200, Body: `{"errors":[{"message":"db down","extensions":{"code":"API_ERROR"}}]}`}, 502, "The secrets API reported an error.", 1, ""},
		{"errors and data mixed", reply{Status: 200, Body: `{"data":{"secret_names":["PARTIAL_ONLY"]},"errors":[{"message":"partial failure"}]}`}, 502, "reported an error", 1, ""},
		{"timeout", reply{Delay: 2 * time.Second, Forward: true}, 504, "did not answer in time", 3, ""},
		{"slow but in time", reply{Delay: 150 * time.Millisecond, Forward: true}, 200, "No secrets yet", 1, ""},
		{"forbidden", reply{Status: 200, Body: `{"errors":[{"message":"no","extensions":{"code":"FORBIDDEN"}}]}`}, 403, "may not do that", 1, ""},
	}
	before := runtime.NumGoroutine()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := tt.reply
			u.proxy.set(func(string) *reply { return &rep })
			defer u.proxy.set(nil)
			start := time.Now()
			p := u.get("/teams/default/secrets")
			took := time.Since(start)
			mustStatus(t, p, tt.status)
			mustContain(t, p, tt.message)
			if strings.Contains(p.Body, "PARTIAL_ONLY") {
				t.Error("a partial answer was shown as the list")
			}
			if got := u.proxy.count("ListSecretNames"); got != tt.attempts {
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
		u.proxy.set(failAll(200, `{"errors":[{"message":"bad key","extensions":{"code":"UNAUTHENTICATED"}}]}`))
		p := u.get("/teams/default/secrets")
		u.proxy.set(nil)
		mustStatus(t, p, http.StatusSeeOther)
		if p.location() != "/login?rejected=1" {
			t.Fatalf("redirect to %q", p.location())
		}
		mustContain(t, u.follow(p), "no longer accepts the key")
		if loc := u.get("/teams/default/secrets").location(); loc != "/login" {
			t.Fatalf("session still usable: %q", loc)
		}
	})
	t.Run("refused connection", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		down := b.ui(t, withAPI("http://"+addr+"/graphql", fastPolicy, time.Second))
		p := down.post("/login", url.Values{"key": {"k"}})
		mustStatus(t, p, http.StatusServiceUnavailable)
		mustContain(t, p, "not reachable (connection refused)")
	})

	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	u.client.CloseIdleConnections()
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
	b := startBackend(t)
	u := b.ui(t, withAPI(b.url, fastPolicy, time.Second))
	u.login(u.env.AdminKey)
	u.addSecret("default", "STAYS", "v", "text")

	u.proxy.set(failOp("SetSecret", 500, ""))
	p := u.post("/teams/default/secrets", url.Values{"name": {"NEW_ONE"}, "value": {"v"}})
	mustStatus(t, p, http.StatusBadGateway)
	mustContain(t, p, "Nothing was saved", `value="NEW_ONE"`, "enter it again")
	if got := u.proxy.count("SetSecret"); got != 3 {
		t.Errorf("set_secret sent %d times, want 3", got)
	}
	u.proxy.set(failOp("DeleteSecret", 500, ""))
	p = u.post("/teams/default/secrets/STAYS/delete", nil)
	mustStatus(t, p, http.StatusBadGateway)
	if got := u.proxy.count("DeleteSecret"); got != 1 {
		t.Errorf("delete_secret sent %d times, want 1", got)
	}
	u.proxy.set(nil)
	if got := strings.Join(u.names(u.env.AdminKey), ","); got != "STAYS" {
		t.Fatalf("names after failed writes: %s", got)
	}
}

// A visitor who leaves while the API is slow gets no page, and the log
// holds no API failure: the request's line says the visitor was gone.
func TestVisitorWhoLeavesIsNotAnAPIFailure(t *testing.T) {
	u := startUI(t)
	u.login(u.env.AdminKey)
	u.proxy.set(func(op string) *reply {
		if op == "ListSecretNames" {
			return &reply{Delay: 3 * time.Second, Forward: true}
		}
		return nil
	})
	defer u.proxy.set(nil)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.srv.URL+"/teams/default/secrets", nil)
	if res, err := u.client.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("the request was answered (%d), not cut off", res.StatusCode)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(u.logs.String(), "client_gone=true") {
		if time.Now().After(deadline) {
			t.Fatalf("no request line for the visitor who left: %s", u.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	logs := u.logs.String()
	if strings.Contains(logs, "api call failed") || strings.Contains(logs, "level=ERROR") {
		t.Fatalf("the visitor leaving was logged as a failure: %s", logs)
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "client_gone=true") && !strings.Contains(line, " status=0 ") {
			t.Fatalf("the request line gives a status: %s", line)
		}
	}
}
