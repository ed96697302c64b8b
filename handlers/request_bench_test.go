package handlers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"teamsecrets/cloud"
	"teamsecrets/handlers"
	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

// listSizes are the team sizes the list page is measured at.
var listSizes = []int{100, 1_000, 100_000}

// seed puts n secrets into the default team in one transaction.
func seed(b *testing.B, u *uitest.UI, n int) {
	b.Helper()
	team, _ := u.Env.Store.TenantBySlug(b.Context(), "default")
	values := make(map[string]json.RawMessage, n)
	for i := range n {
		values[fmt.Sprintf("SERVICE_%06d_API_TOKEN", i)] = json.RawMessage(`"v"`)
	}
	if err := u.Env.Store.PutSecrets(b.Context(), team.ID, values); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListPageRequest is the whole path: UI handler → genqlient → local
// API over HTTP → SQLite, and back through the template.
func BenchmarkListPageRequest(b *testing.B) {
	for _, n := range listSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			u := uitest.Start(b)
			seed(b, u, n)
			u.Login(u.Env.AdminKey)
			b.ReportAllocs()
			for b.Loop() {
				if p := u.Get("/teams/default/secrets?page=2"); p.Status != http.StatusOK {
					b.Fatal(p.Status)
				}
			}
		})
	}
}

func BenchmarkAddSecretRequest(b *testing.B) {
	u := uitest.Start(b)
	seed(b, u, 100)
	u.Login(u.Env.AdminKey)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := u.Post("/teams/default/secrets", url.Values{"name": {fmt.Sprintf("NEW_%d", i)}, "value": {"v"}})
		if p.Status != http.StatusSeeOther {
			b.Fatal(p.Status, uitest.Excerpt(p.Body))
		}
		i++
	}
}

func BenchmarkRotateSecretRequest(b *testing.B) {
	u := uitest.Start(b)
	seed(b, u, 100)
	u.Login(u.Env.AdminKey)
	b.ReportAllocs()
	for b.Loop() {
		p := u.Post("/teams/default/secrets/SERVICE_000042_API_TOKEN/rotate", url.Values{"value": {"rotated"}})
		if p.Status != http.StatusSeeOther {
			b.Fatal(p.Status, uitest.Excerpt(p.Body))
		}
	}
}

// BenchmarkListPageHandler is the server's own cost of a list page: the UI
// handler called in-process, the API through the in-process transport (as
// the binary runs it embedded), no client sockets.
//
// The list page's budget at 100,000 secrets: at most 5 ms and 200 KB
// allocated per request (README, "The list page").
func BenchmarkListPageHandler(b *testing.B) {
	for _, n := range listSizes {
		for _, tc := range []struct{ name, query string }{
			{"first", ""},
			{"page-2", "?page=2"},
			{"by-updated", "?sort=-updated"},
			{"search", "?q=123_api"},
		} {
			b.Run(fmt.Sprintf("n=%d/%s", n, tc.name), func(b *testing.B) {
				u := uitest.Start(b)
				seed(b, u, n)
				u.Login(u.Env.AdminKey)
				u.Get("/teams/default/secrets") // settle the sign-in flash
				h := handlers.New(handlers.Config{
					API:         cloud.New("http://embedded/graphql", localapi.Transport{Handler: u.Env.Server.Config.Handler}, uitest.QuickRetries),
					SessionKeys: u.Config.SessionKeys,
					Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
				})
				base, _ := url.Parse(u.URL)
				cookies := u.Client.Jar.Cookies(base)
				b.ReportAllocs()
				for b.Loop() {
					// A new request each time, as a server gets: a request that
					// was served before carries its decoded session
					// (gorilla/sessions keeps it in the request's context).
					req := httptest.NewRequest(http.MethodGet, "/teams/default/secrets"+tc.query, nil)
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
	}
}
