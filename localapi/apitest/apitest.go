// Package apitest runs the real local API on a loopback HTTP server for
// tests in any package.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/store/pgtest"
	"teamsecrets/schema"
)

// Schema returns the repository's schema.graphql (package schema embeds it).
func Schema(testing.TB) string { return schema.SDL }

// Env is a running local API with a bootstrapped "default" team.
type Env struct {
	URL      string // the GraphQL endpoint
	AdminKey string // TENANT_ADMIN of "default"
	Store    *localapi.Store
	Backend  Backend
	DataDir  string // SQLite's data directory ("" on PostgreSQL)
	// DatabaseURL is PostgreSQL's database ("" on SQLite).
	DatabaseURL string
	Server      *httptest.Server
}

// Backend is a store backend the API runs on in tests.
type Backend struct {
	Name string
	// open opens a new, empty store with key as its server does.
	open func(tb testing.TB, key []byte) (st *localapi.Store, dataDir, databaseURL string)
}

var (
	// SQLite: the store in a temporary data directory, opened as a
	// server's is (it holds the directory's lock and keeps names in
	// memory).
	SQLite = Backend{Name: "sqlite", open: func(tb testing.TB, key []byte) (*localapi.Store, string, string) {
		dir := tb.TempDir()
		st, err := localapi.OpenStore(dir, key)
		if err != nil {
			tb.Fatal(err)
		}
		return st, dir, ""
	}}
	// Postgres: the store in a new database of the test binary's
	// PostgreSQL (package pgtest: skipped without one, unless required),
	// opened as one of several instances' is.
	Postgres = Backend{Name: "postgres", open: func(tb testing.TB, key []byte) (*localapi.Store, string, string) {
		url := pgtest.URL(tb)
		st, err := localapi.OpenPostgresStore(context.Background(), url, key)
		if err != nil {
			tb.Fatal(err)
		}
		return st, "", url
	}}
)

// Backends are the backends the end-to-end tests run on.
func Backends() []Backend { return []Backend{SQLite, Postgres} }

// EachBackend runs test once on each backend, as subtests named after
// them. A package using it calls pgtest.Main from its TestMain.
func EachBackend(t *testing.T, test func(t *testing.T, b Backend)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { test(t, b) })
	}
}

// Start runs the local API on SQLite until the test ends, with opts
// (limits) if given.
func Start(tb testing.TB, opts ...localapi.Option) *Env {
	tb.Helper()
	return SQLite.Start(tb, opts...)
}

// Start runs the local API on b until the test ends, with opts (limits)
// if given.
func (b Backend) Start(tb testing.TB, opts ...localapi.Option) *Env {
	tb.Helper()
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	store, dir, databaseURL := b.open(tb, key)
	admin, _, err := localapi.Bootstrap(context.Background(), store, "")
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := localapi.NewServer(Schema(tb), store, "test", opts...)
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", srv)
	ts := httptest.NewServer(mux)
	tb.Cleanup(func() {
		ts.Close()
		store.Close()
	})
	return &Env{URL: ts.URL + "/graphql", AdminKey: admin, Store: store, Backend: b, DataDir: dir, DatabaseURL: databaseURL, Server: ts}
}

// Reopen opens the env's store again with another master key, as a
// server (a second instance, on PostgreSQL) would.
func (e *Env) Reopen(tb testing.TB, key []byte) (*localapi.Store, error) {
	tb.Helper()
	if e.DatabaseURL != "" {
		return localapi.OpenPostgresStore(context.Background(), e.DatabaseURL, key)
	}
	return localapi.OpenStore(e.DataDir, key)
}

// Key creates an API key for a team and role; with user set it belongs to
// that user, who must already be a member (see Member).
func (e *Env) Key(tb testing.TB, team, role, user string) string {
	tb.Helper()
	k, err := e.Store.CreateKey(context.Background(), team, role, user)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// Member gives a user (created if needed) a role in a team, as
// "teamsecrets member add" does.
func (e *Env) Member(tb testing.TB, team, role, user string) {
	tb.Helper()
	if err := e.Store.AddMember(context.Background(), team, role, user); err != nil {
		tb.Fatal(err)
	}
}

// Team creates a team and returns its id.
func (e *Env) Team(tb testing.TB, slug string) string {
	tb.Helper()
	t, err := e.Store.CreateTenant(context.Background(), slug, "Team "+slug)
	if err != nil {
		tb.Fatal(err)
	}
	return t.ID
}

// Response is a decoded GraphQL response.
type Response struct {
	Status int
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// Code returns the first error's extensions.code, or "".
func (r Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Do posts a GraphQL document. tenant may be empty.
func (e *Env) Do(tb testing.TB, key, tenant, query string, vars any) Response {
	tb.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		tb.Fatal(err)
	}
	return e.Post(tb, key, tenant, body)
}

// Post sends a raw body and decodes the GraphQL response.
func (e *Env) Post(tb testing.TB, key, tenant string, body []byte) Response {
	tb.Helper()
	status, out := e.PostRaw(tb, key, tenant, body)
	var r Response
	if err := json.Unmarshal(out, &r); err != nil {
		tb.Fatalf("decode response (status %d): %v", status, err)
	}
	r.Status = status
	return r
}

// PostRaw sends a raw body and returns the status and the bytes answered.
func (e *Env) PostRaw(tb testing.TB, key, tenant string, body []byte) (int, []byte) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if tenant != "" {
		req.Header.Set("X-PREFECT-TENANT-ID", tenant)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return res.StatusCode, out
}
