package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// httpWriters set secrets through a server's API without pause, and read
// some back, until stopped; they remember every write the API
// acknowledged.
type httpWriters struct {
	url  string
	stop atomic.Bool
	wg   sync.WaitGroup

	mu     sync.Mutex
	acked  map[string]string // name -> value, as acknowledged
	failed []string          // failed requests, said how
}

func startHTTPWriters(t *testing.T, url string, n int) *httpWriters {
	t.Helper()
	w := &httpWriters{url: url, acked: map[string]string{}}
	for k := range n {
		w.wg.Go(func() {
			for i := 0; !w.stop.Load(); i++ {
				name, value := fmt.Sprintf("W%d_%05d", k, i), fmt.Sprintf("v%d-%d", k, i)
				if i%4 == 3 { // replace an earlier value of its own
					name = fmt.Sprintf("W%d_%05d", k, i/2)
				}
				_, err := gql(url, childAdminKey, `mutation($n: String!, $v: JSON!) { set_secret(input: {name: $n, value: $v}) { success } }`,
					map[string]any{"n": name, "v": value})
				if err == nil && i%5 == 0 {
					var d map[string]json.RawMessage
					d, err = gql(url, childAdminKey, `query($n: String!) { secret_value(name: $n) }`, map[string]any{"n": name})
					if err == nil && string(d["secret_value"]) != `"`+value+`"` {
						err = fmt.Errorf("read back %s: %s, want %q", name, d["secret_value"], value)
					}
				}
				w.mu.Lock()
				if err != nil {
					w.failed = append(w.failed, err.Error())
				} else {
					w.acked[name] = value
				}
				w.mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	return w
}

// snapshot is the writes acknowledged so far.
func (w *httpWriters) snapshot() map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.acked)
}

// waitFor returns once n more writes are acknowledged (or a write failed,
// or 20 s passed).
func (w *httpWriters) waitFor(n int) {
	w.mu.Lock()
	want := len(w.acked) + n
	w.mu.Unlock()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		w.mu.Lock()
		done := len(w.acked) >= want || len(w.failed) > 0
		w.mu.Unlock()
		if done {
			return
		}
	}
}

// end stops the writers and fails the test if a request failed.
func (w *httpWriters) end(t *testing.T) map[string]string {
	t.Helper()
	w.stop.Store(true)
	w.wg.Wait()
	if len(w.failed) > 0 {
		t.Fatalf("%d requests failed, first: %s", len(w.failed), w.failed[0])
	}
	return w.snapshot()
}
