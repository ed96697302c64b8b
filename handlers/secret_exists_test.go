package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
	"teamsecrets/rules"
	"teamsecrets/views"
)

func TestExistsAnswersJSONForTheAddForm(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "API_TOKEN", "v", "text")
	u.AddSecret("default", "exists", "v", "text") // a secret named like the route

	for _, tt := range []struct {
		name   string
		status int
		body   string
	}{
		{"API_TOKEN", http.StatusOK, `{"exists":true}`},
		{" API_TOKEN ", http.StatusOK, `{"exists":true}`},
		{"api_token", http.StatusOK, `{"exists":false}`},
		{"exists", http.StatusOK, `{"exists":true}`},
		{"NEW_ONE", http.StatusOK, `{"exists":false}`},
		{"bad name", http.StatusBadRequest, `"error"`},
		{"", http.StatusBadRequest, `"error"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := u.Get("/teams/default/secrets/exists?name=" + url.QueryEscape(tt.name))
			uitest.MustStatus(t, p, tt.status)
			if !strings.Contains(p.Body, tt.body) {
				t.Fatalf("body %s, want %s", p.Body, tt.body)
			}
			if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("content type %q", ct)
			}
			if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
				t.Fatalf("cache-control %q", cc)
			}
		})
	}
	// The route does not hide a secret named "exists".
	uitest.MustStatus(t, u.Get("/teams/default/secrets/exists/rotate"), http.StatusOK)

	// Signed out: no answer, a redirect to sign in.
	anon := uitest.Start(t)
	if p := anon.Get("/teams/default/secrets/exists?name=API_TOKEN"); p.Status != http.StatusSeeOther || strings.Contains(p.Body, "exists") {
		t.Fatalf("signed out: %d %s", p.Status, p.Body)
	}
	// A read-only member cannot add, so is not answered either.
	u.Env.Member(t, "default", localapi.RoleReadOnlyUser, "reader")
	ro := u.Browser()
	ro.Login(u.Env.Key(t, "default", localapi.RoleReadOnlyUser, "reader"))
	uitest.MustStatus(t, ro.Get("/teams/default/secrets/exists?name=API_TOKEN"), http.StatusForbidden)
}

func TestOverwriteQuestionIsOneAlertWithItsOwnButton(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "API_TOKEN", "first", "text")

	p := u.Post("/teams/default/secrets", url.Values{"name": {"API_TOKEN"}, "value": {"second"}})
	uitest.MustStatus(t, p, http.StatusConflict)
	uitest.MustContain(t, p, "A secret named API_TOKEN already exists.", "enter it again", "Overwrite secret")
	for _, style := range []string{"banner-error", "field-error", `aria-invalid="true"`, "Add secret</button>"} {
		if strings.Contains(p.Body, style) {
			t.Errorf("the overwrite page has %s", style)
		}
	}
	if n := strings.Count(p.Body, `role="alert"`); n != 1 {
		t.Errorf("%d alerts", n)
	}

	// The plain add form carries the question hidden and disabled, for
	// app.js; without JavaScript it sends nothing.
	form := u.Get("/teams/default/secrets/new")
	uitest.MustContain(t, form, `data-exists-url="/teams/default/secrets/exists"`, `id="overwrite"`, "disabled", "hidden")
	if strings.Contains(form.Body, "already exists") {
		t.Fatal("the empty form asks about overwriting")
	}

	// A rename onto a taken name asks the same way.
	u.AddSecret("default", "OTHER", "o", "text")
	p = u.Post("/teams/default/secrets/OTHER/rotate", url.Values{"value": {"v2"}, "new_name": {"API_TOKEN"}})
	uitest.MustStatus(t, p, http.StatusConflict)
	uitest.MustContain(t, p, "A secret named API_TOKEN already exists.", "Overwrite secret")
	if strings.Contains(p.Body, "banner-error") {
		t.Error("the rename question has a second alert style")
	}
}

// The browser's pattern for new names is the server's rule: what one
// accepts the other does.
func TestNamePatternMatchesTheNameRule(t *testing.T) {
	re := regexp.MustCompile(`^(?:` + views.NamePattern + `)$`)
	names := []string{"A", "_", "a1", "GITHUB_TOKEN", "db.password", "snow-flake", "1abc", "-a", ".a", "a b", "a/b",
		"ä", "a\u202Eb", "", strings.Repeat("a", 255), strings.Repeat("a", 256), "a=b", "a$", "A..B", "_-."}
	for i := range 128 {
		names = append(names, fmt.Sprintf("a%c", i), fmt.Sprintf("%cb", i))
	}
	for _, n := range names {
		if got, want := re.MatchString(n), rules.ValidateName(n) == nil; got != want {
			t.Errorf("%q: pattern %v, rule %v", n, got, want)
		}
	}
}
