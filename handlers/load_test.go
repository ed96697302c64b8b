package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"teamsecrets/handlers/uitest"
)

// TestLoadBounded runs the UI and the local API under concurrent sign-ins,
// lists, adds, rotations and deletes on loopback for a fixed time (3 s, or
// TEAMSECRETS_LOAD_DURATION) and demands zero errors and no lost writes.
func TestLoadBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	duration := 3 * time.Second
	if d, err := time.ParseDuration(os.Getenv("TEAMSECRETS_LOAD_DURATION")); err == nil && d > 0 {
		duration = d
	}
	u := uitest.Start(t)
	const workers = 8
	var requests, failures atomic.Int64
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	final := make([]map[string]string, workers) // each worker's expected secrets
	for w := range workers {
		wg.Go(func() {
			me := u.Browser()
			want := map[string]string{}
			check := func(p uitest.Page, status int, what string) bool {
				requests.Add(1)
				if p.Status != status {
					failures.Add(1)
					t.Errorf("worker %d %s: status %d, want %d: %s", w, what, p.Status, status, uitest.Excerpt(p.Body))
					return false
				}
				return true
			}
			for i := 0; time.Now().Before(deadline); i++ {
				if i%20 == 0 {
					check(me.Post("/login", url.Values{"key": {u.Env.AdminKey}}), http.StatusSeeOther, "sign in")
				}
				name := fmt.Sprintf("W%d_%d", w, i%10)
				value := fmt.Sprintf("v%d", i)
				check(me.Get("/teams/default/secrets?q="+fmt.Sprintf("W%d_", w)), http.StatusOK, "list")
				if _, ok := want[name]; !ok {
					if check(me.Post("/teams/default/secrets", url.Values{"name": {name}, "value": {value}}), http.StatusSeeOther, "add") {
						want[name] = value
					}
					continue
				}
				switch i % 3 {
				case 0, 1:
					if check(me.Post("/teams/default/secrets/"+name+"/rotate", url.Values{"value": {value}}), http.StatusSeeOther, "rotate") {
						want[name] = value
					}
				case 2:
					if check(me.Post("/teams/default/secrets/"+name+"/delete", nil), http.StatusSeeOther, "delete") {
						delete(want, name)
					}
				}
			}
			final[w] = want
		})
	}
	wg.Wait()
	if failures.Load() > 0 {
		t.Fatalf("%d of %d requests failed", failures.Load(), requests.Load())
	}
	all := map[string]bool{}
	for _, n := range u.Names(u.Env.AdminKey) {
		all[n] = true
	}
	expected := 0
	for _, want := range final {
		for name, value := range want {
			expected++
			if v, ok := u.Value(u.Env.AdminKey, "", name); !ok || v != `"`+value+`"` {
				t.Errorf("lost write: %s = %s, want %q", name, v, value)
			}
		}
	}
	if len(all) != expected {
		t.Errorf("%d secrets stored, %d expected", len(all), expected)
	}
	t.Logf("%d requests in %v (%.0f/s), 0 errors, %d secrets verified", requests.Load(), duration,
		float64(requests.Load())/duration.Seconds(), expected)
}
