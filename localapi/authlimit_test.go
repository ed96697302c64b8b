package localapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

// authEnv is the API handler called directly, so each request can come
// from the client address a test chooses (no traffic leaves the process).
type authEnv struct {
	*apitest.Env
	srv *localapi.Server
	now atomic.Int64 // unix nanoseconds of the limiter's clock
}

func startAuthEnv(t *testing.T, l localapi.Limits) *authEnv {
	env := &authEnv{Env: apitest.Start(t)}
	env.now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	srv, err := localapi.NewServer(apitest.Schema(t), env.Store, "test", localapi.WithLimits(l),
		localapi.WithClock(func() time.Time { return time.Unix(0, env.now.Load()) }))
	if err != nil {
		t.Fatal(err)
	}
	env.srv = srv
	return env
}

func (e *authEnv) post(addr, key string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ secret_names }"}`))
	req.RemoteAddr = addr + ":40000"
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

func captureLogs(t *testing.T) func() string {
	var buf bytes.Buffer
	var mu sync.Mutex
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
}

// Finding: 3,000 wrong keys at 2,700/s, nothing refused, nothing logged.
func TestWrongKeysAreLimitedPerAddress(t *testing.T) {
	logs := captureLogs(t)
	env := startAuthEnv(t, localapi.Limits{AuthFailures: 10, AuthWindow: time.Minute})
	attacker, user := "192.0.2.7", "198.51.100.20"

	judged, refused := 0, 0
	for i := range 3000 {
		rec := env.post(attacker, fmt.Sprintf("tsk_guess_%d", i))
		switch rec.Code {
		case http.StatusTooManyRequests:
			refused++
			if ra := rec.Header().Get("Retry-After"); ra == "" || ra == "0" {
				t.Fatalf("429 without Retry-After: %v", rec.Header())
			}
		case http.StatusOK:
			judged++
		default:
			t.Fatalf("status %d", rec.Code)
		}
	}
	if judged != 10 || refused != 2990 {
		t.Fatalf("%d guesses judged, %d refused; want 10 and 2990", judged, refused)
	}
	// The attacker's right key is refused too while the address is blocked:
	// a guesser must learn nothing.
	if rec := env.post(attacker, env.AdminKey); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("blocked address, right key: %d", rec.Code)
	}
	// Someone else's failures do not slow a valid key from another address.
	for range 100 {
		if rec := env.post(user, env.AdminKey); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "errors") {
			t.Fatalf("valid key from another address: %d %s", rec.Code, rec.Body)
		}
	}
	// The window ends; the address may try again.
	env.now.Add(int64(61 * time.Second))
	if rec := env.post(attacker, env.AdminKey); rec.Code != http.StatusOK {
		t.Fatalf("after the window: %d", rec.Code)
	}

	out := logs()
	if strings.Contains(out, "tsk_guess") || strings.Contains(out, env.AdminKey) {
		t.Fatal("the log holds a key")
	}
	if !strings.Contains(out, "too many failed authentications") || !strings.Contains(out, attacker) {
		t.Fatalf("the block is not logged with the address:\n%s", out)
	}
	if n := strings.Count(out, "\n"); n > 20 {
		t.Fatalf("3,000 refused guesses wrote %d log lines", n)
	}
}

// Parallel guesses are counted before the key is judged: 40 at once get
// no more than the limit judged.
func TestParallelWrongKeysAreLimited(t *testing.T) {
	env := startAuthEnv(t, localapi.Limits{AuthFailures: 5, AuthWindow: time.Minute})
	var judged atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if env.post("192.0.2.8", fmt.Sprintf("tsk_parallel_%d", i)).Code == http.StatusOK {
				judged.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := judged.Load(); n > 5 {
		t.Fatalf("%d of 40 parallel guesses judged, limit 5", n)
	}
}

// A correct key between wrong ones gives back only its own attempt.
func TestRightKeyDoesNotEraseFailures(t *testing.T) {
	env := startAuthEnv(t, localapi.Limits{AuthFailures: 5, AuthWindow: time.Minute})
	judgedWrong := 0
	for round := range 10 {
		for i := range 4 {
			if env.post("192.0.2.9", fmt.Sprintf("tsk_w_%d_%d", round, i)).Code == http.StatusOK {
				judgedWrong++
			}
		}
		env.post("192.0.2.9", env.AdminKey)
	}
	if judgedWrong != 5 {
		t.Fatalf("%d wrong keys judged across 4-wrong-1-right rounds, want 5", judgedWrong)
	}
}

// The embedded UI reaches the API in-process; its sign-in form has its own
// limit, so its calls are not counted against one shared address here.
func TestInProcessCallsAreNotLimitedHere(t *testing.T) {
	env := startAuthEnv(t, localapi.Limits{AuthFailures: 2, AuthWindow: time.Minute})
	client := &http.Client{Transport: localapi.Transport{Handler: env.srv}}
	for i := range 20 {
		req, _ := http.NewRequest(http.MethodPost, "http://embedded/graphql", strings.NewReader(`{"query":"{ secret_names }"}`))
		req.Header.Set("Authorization", fmt.Sprintf("Bearer tsk_ui_%d", i))
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Errors []struct{ Extensions map[string]string } `json:"errors"`
		}
		json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || len(body.Errors) == 0 || body.Errors[0].Extensions["code"] != localapi.CodeUnauthenticated {
			t.Fatalf("in-process wrong key %d: %d %+v", i, res.StatusCode, body)
		}
	}
}

// Behind a proxy (--trust-proxy), the address is the one the proxy
// appended to X-Forwarded-For.
func TestTrustedProxyAddressIsTheLastHop(t *testing.T) {
	env := apitest.Start(t)
	srv, err := localapi.NewServer(apitest.Schema(t), env.Store, "test", localapi.WithTrustProxy(true),
		localapi.WithLimits(localapi.Limits{AuthFailures: 1, AuthWindow: time.Minute}))
	if err != nil {
		t.Fatal(err)
	}
	send := func(xff, key string) int {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ secret_names }"}`))
		req.Header.Set("X-Forwarded-For", xff)
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Code
	}
	send("203.0.113.1, 192.0.2.50", "tsk_a")
	if code := send("203.0.113.99, 192.0.2.50", "tsk_b"); code != http.StatusTooManyRequests {
		t.Fatalf("a spoofed first hop escaped the limit: %d", code)
	}
	if code := send("192.0.2.51", env.AdminKey); code != http.StatusOK {
		t.Fatalf("another client behind the proxy: %d", code)
	}
}
