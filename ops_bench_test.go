package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
	"teamsecrets/metrics"
)

// benchSite is the main address's handler over a new store, with or
// without the metrics, and the cookies of a signed-in visitor.
func benchSite(b *testing.B, instrumented bool) (http.Handler, []*http.Cookie) {
	b.Helper()
	st, err := localapi.OpenStore(b.TempDir(), bytes.Repeat([]byte{7}, 32))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	s := site{cfg: defaultConfig(), withUI: true, store: st, apiURL: "http://embedded/graphql",
		sessionKeys: [][]byte{uitest.SessionKey}}
	if instrumented {
		s.metrics = metrics.New(version)
		s.store = st.Wrapped(s.metrics.Store)
	}
	if _, _, err := localapi.Bootstrap(b.Context(), s.store, childAdminKey); err != nil {
		b.Fatal(err)
	}
	h, err := s.handler()
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	u := uitest.Attach(b, srv.URL)
	u.Login(childAdminKey)
	for i := range 20 {
		u.AddSecret("default", "SECRET_"+strings.Repeat("X", i+1), "v", "")
	}
	base, _ := url.Parse(srv.URL)
	return h, u.Client.Jar.Cookies(base)
}

// The cost of the metrics per request: a UI page (the list of 20 secrets,
// through the UI, the in-process API and the store), /healthz (the HTTP
// layer's share alone) and a set_secret call over the API, each with and
// without instrumentation. The handler is
// called in-process (no sockets), so the difference is the metrics' own.
func BenchmarkInstrumentation(b *testing.B) {
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, mode := range []string{"plain", "instrumented"} {
		b.Run("ui-page/"+mode, func(b *testing.B) {
			h, cookies := benchSite(b, mode == "instrumented")
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/teams/default/secrets", nil)
				for _, c := range cookies {
					req.AddCookie(c)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
	for _, mode := range []string{"plain", "instrumented"} {
		b.Run("healthz/"+mode, func(b *testing.B) { // the HTTP layer's share alone
			h, _ := benchSite(b, mode == "instrumented")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
	body := gqlBody(`mutation { set_secret(input: {name: "BENCH", value: "v"}) { success } }`, nil)
	for _, mode := range []string{"plain", "instrumented"} {
		b.Run("set_secret/"+mode, func(b *testing.B) {
			h, _ := benchSite(b, mode == "instrumented")
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+childAdminKey)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"success":true`) {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}
