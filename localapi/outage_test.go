package localapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/pgtest"
	"teamsecrets/localapi/store/postgres"
)

// stalling is a store whose chosen calls wait for their context to end, as
// calls to a database that stopped answering do.
type stalling struct {
	store.Backend
	mu    sync.Mutex
	stall map[string]bool // by method name
}

func (b *stalling) set(methods ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stall = map[string]bool{}
	for _, m := range methods {
		b.stall[m] = true
	}
}

func (b *stalling) wait(ctx context.Context, method string) error {
	b.mu.Lock()
	on := b.stall[method]
	b.mu.Unlock()
	if !on {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (b *stalling) KeyByHash(ctx context.Context, hash string) (store.Key, error) {
	if err := b.wait(ctx, "KeyByHash"); err != nil {
		return store.Key{}, err
	}
	return b.Backend.KeyByHash(ctx, hash)
}

func (b *stalling) SecretNames(ctx context.Context, tenantID string) ([]string, error) {
	if err := b.wait(ctx, "SecretNames"); err != nil {
		return nil, err
	}
	return b.Backend.SecretNames(ctx, tenantID)
}

func (b *stalling) SecretMatches(ctx context.Context, tenantID, search string) (int, error) {
	if err := b.wait(ctx, "SecretMatches"); err != nil {
		return 0, err
	}
	return b.Backend.SecretMatches(ctx, tenantID, search)
}

func (b *stalling) PutSealed(ctx context.Context, epoch store.KeyEpoch, tenantID, name, actor string, sealed []byte) error {
	if err := b.wait(ctx, "PutSealed"); err != nil {
		return err
	}
	return b.Backend.PutSealed(ctx, epoch, tenantID, name, actor, sealed)
}

// answer is one API response.
type answer struct {
	status int
	Data   map[string]json.RawMessage
	Errors []struct {
		Message    string
		Path       []string
		Extensions struct{ Code string }
	}
}

// post sends a document with key; a server that does not answer within
// 30 s fails the test (the time limits under test are far shorter).
func post(t *testing.T, url, key, query string, vars map[string]any) answer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("the API did not answer: %v", err)
	}
	defer res.Body.Close()
	a := answer{status: res.StatusCode}
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		t.Fatalf("answer (HTTP %d) is not JSON: %v", res.StatusCode, err)
	}
	return a
}

func (a answer) message() string {
	if len(a.Errors) == 0 {
		return ""
	}
	return a.Errors[0].Message
}

const docSetOne = `mutation($name: String!, $value: JSON!) { set_secret(input: {name: $name, value: $value}) { success } }`

var listVars = map[string]any{"limit": 50, "offset": 0}

// A store that stops answering holds no request past the document's time
// limit, whatever it waits for: the key's lookup (before any document
// runs), the fast paths' reads, graphql-go's. Queries answer the time
// limit's error alone; a write that started in time is stopped one time
// limit later, and its answer says it may or may not have been made.
func TestAStoreThatStopsAnsweringHoldsNoRequestPastTheTimeLimit(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	st, err := localapi.OpenStore(t.TempDir(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, _, err := localapi.Bootstrap(t.Context(), st, "")
	if err != nil {
		t.Fatal(err)
	}
	fault := &stalling{}
	wrapped := st.Wrapped(func(b store.Backend) store.Backend { fault.Backend = b; return fault })
	srv, err := localapi.NewServer(apitest.Schema(t), wrapped, "test", localapi.WithLimits(localapi.Limits{Timeout: 300 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	if a := post(t, ts.URL, admin, docSetOne, map[string]any{"name": "BEFORE", "value": "v"}); a.message() != "" {
		t.Fatalf("set before the outage: %s", a.message())
	}

	tooLong := "Request took too long and was stopped"
	for _, tc := range []struct {
		name, stalls, query string
		vars                map[string]any
	}{
		{"secret_names, key lookup", "KeyByHash", docSecretNames, nil},
		{"secret_names, names", "SecretNames", docSecretNames, nil},
		{"list page, key lookup", "KeyByHash", docListPage, listVars},
		{"list page, count", "SecretMatches", docListPage, listVars},
		{"auth_info, key lookup", "KeyByHash", docAuthInfo, nil},
		{"set_secret, key lookup", "KeyByHash", docSetOne, map[string]any{"name": "NEVER", "value": "v"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fault.set(tc.stalls)
			defer fault.set()
			a := post(t, ts.URL, admin, tc.query, tc.vars)
			if a.status != http.StatusBadRequest || !strings.HasPrefix(a.message(), tooLong) ||
				a.Errors[0].Extensions.Code != localapi.CodeBadUserInput || a.Data != nil {
				t.Fatalf("HTTP %d %+v, want 400 %q alone", a.status, a.Errors, tooLong)
			}
		})
	}
	t.Run("set_secret, the write", func(t *testing.T) {
		fault.set("PutSealed")
		defer fault.set()
		a := post(t, ts.URL, admin, docSetOne, map[string]any{"name": "STOPPED", "value": "v"})
		if a.status != http.StatusOK || !strings.Contains(a.message(), "this write was stopped, and may or may not have been made") ||
			len(a.Errors[0].Path) != 1 || a.Errors[0].Path[0] != "set_secret" {
			t.Fatalf("HTTP %d %+v, want the write's field to say it was stopped", a.status, a.Errors)
		}
	})
	// Once the store answers, so does the API.
	a := post(t, ts.URL, admin, docSecretNames, nil)
	if a.message() != "" || string(a.Data["secret_names"]) != `["BEFORE"]` {
		t.Fatalf("after the outage: %s %s", a.Data["secret_names"], a.message())
	}
}

// The same against a real PostgreSQL through a proxy the test controls: a
// database that stops answering (a partition, a server paused with
// SIGSTOP) costs each request its time limit and no more; one that refuses
// connections fails each request at once; and once the database is
// reachable again, the API answers again, though the connections caught in
// the partition never come back (the pool gives up making them after its
// connect timeout, rather than holding its places for ever).
func TestAPIOnAPostgresThatStopsAnswering(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the pool's connect timeout")
	}
	proxy := pgtest.NewProxy(t, pgtest.URL(t))
	// Two connections at most, so that two caught in the partition would
	// take every place.
	dbURL := proxy.URL + "&pool_max_conns=2"
	if !strings.Contains(proxy.URL, "?") {
		dbURL = proxy.URL + "?pool_max_conns=2"
	}
	st, err := localapi.OpenPostgresStore(t.Context(), dbURL, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, _, err := localapi.Bootstrap(t.Context(), st, "")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := localapi.NewServer(apitest.Schema(t), st, "test", localapi.WithLimits(localapi.Limits{Timeout: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	if a := post(t, ts.URL, admin, docSetOne, map[string]any{"name": "BEFORE", "value": "v"}); a.message() != "" {
		t.Fatalf("set before the outage: %s", a.message())
	}

	proxy.Refuse()
	for _, q := range []string{docSecretNames, docAuthInfo} {
		if a := post(t, ts.URL, admin, q, nil); !strings.Contains(a.message(), "Internal error") {
			t.Fatalf("%s while the database refuses connections: HTTP %d %+v", q, a.status, a.Errors)
		}
	}

	proxy.Hang()
	for _, q := range []string{docSecretNames, docSecretNames, docAuthInfo, docListPage} {
		vars := map[string]any(nil)
		if q == docListPage {
			vars = listVars
		}
		a := post(t, ts.URL, admin, q, vars)
		if a.status != http.StatusBadRequest || !strings.HasPrefix(a.message(), "Request took too long and was stopped") {
			t.Fatalf("%s while the database hangs: HTTP %d %+v", q, a.status, a.Errors)
		}
	}

	proxy.Pass()
	deadline := time.Now().Add(4 * postgres.ConnectTimeout)
	for {
		a := post(t, ts.URL, admin, docSecretNames, nil)
		if a.message() == "" && string(a.Data["secret_names"]) == `["BEFORE"]` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API does not answer after the database came back: HTTP %d %+v", a.status, a.Errors)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
