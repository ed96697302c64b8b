package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// seed puts n secrets into the default team in one transaction.
func seed(b *testing.B, u *ui, n int) {
	b.Helper()
	team, _ := u.env.Store.TenantBySlug(b.Context(), "default")
	values := make(map[string]json.RawMessage, n)
	for i := range n {
		values[fmt.Sprintf("SERVICE_%06d_API_TOKEN", i)] = json.RawMessage(`"v"`)
	}
	if err := u.env.Store.PutSecrets(b.Context(), team.ID, values); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListPageRequest is the whole path: UI handler → genqlient → local
// API over HTTP → SQLite, and back through the template.
func BenchmarkListPageRequest(b *testing.B) {
	for _, n := range []int{100, 10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			u := startUI(b)
			seed(b, u, n)
			u.login(u.env.AdminKey)
			b.ReportAllocs()
			for b.Loop() {
				if p := u.get("/teams/default/secrets?page=2"); p.Status != http.StatusOK {
					b.Fatal(p.Status)
				}
			}
		})
	}
}

func BenchmarkAddSecretRequest(b *testing.B) {
	u := startUI(b)
	seed(b, u, 100)
	u.login(u.env.AdminKey)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := u.post("/teams/default/secrets", url.Values{"name": {fmt.Sprintf("NEW_%d", i)}, "value": {"v"}})
		if p.Status != http.StatusSeeOther {
			b.Fatal(p.Status, excerpt(p.Body))
		}
		i++
	}
}

func BenchmarkRotateSecretRequest(b *testing.B) {
	u := startUI(b)
	seed(b, u, 100)
	u.login(u.env.AdminKey)
	b.ReportAllocs()
	for b.Loop() {
		p := u.post("/teams/default/secrets/SERVICE_000042_API_TOKEN/rotate", url.Values{"value": {"rotated"}})
		if p.Status != http.StatusSeeOther {
			b.Fatal(p.Status, excerpt(p.Body))
		}
	}
}
