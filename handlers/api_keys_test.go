package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

var (
	shownKeyRE   = regexp.MustCompile(`value="(tsk_[A-Za-z0-9_-]+)"`)
	revokeLinkRE = regexp.MustCompile(`href="(/teams/default/keys/[0-9a-f-]{36}/revoke)"`)
)

// works reports whether the API accepts key.
func works(t *testing.T, u *uitest.UI, key string) bool {
	t.Helper()
	r := u.Env.Do(t, key, "", `query { auth_info { tenant_id } }`, nil)
	return len(r.Errors) == 0
}

func TestAPIKeyPageShowsANewKeyOnceAndRevokes(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	list := u.Get("/teams/default/keys")
	uitest.MustStatus(t, list, http.StatusOK)
	uitest.MustContain(t, list, "API keys", "Create a key", "(no name)", "Never", "Last used")
	uitest.MustContain(t, u.Get("/teams/default/secrets"), `href="/teams/default/keys"`)

	form := u.Get("/teams/default/keys/new")
	uitest.MustStatus(t, form, http.StatusOK)
	uitest.MustContain(t, form, `name="name"`, `type="date"`, `value="team"`) // an admin may make team keys

	expires := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02")
	made := u.Post("/teams/default/keys", url.Values{"name": {"laptop <b>"}, "expires": {expires}})
	uitest.MustStatus(t, made, http.StatusOK)
	if made.Location() != "" || !strings.Contains(made.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("the new key's page: Location %q, Cache-Control %q", made.Location(), made.Header.Get("Cache-Control"))
	}
	m := shownKeyRE.FindStringSubmatch(made.Body)
	if m == nil {
		t.Fatalf("no key shown: %s", uitest.Excerpt(made.Body))
	}
	key := m[1]
	uitest.MustContain(t, made, "shown this once", "readonly", `data-copy="new-key"`, "laptop &lt;b&gt;", "expires "+expires)
	if strings.Contains(made.Body, "<script>") || strings.Contains(made.Body, "onclick") {
		t.Fatal("inline script on the new key's page")
	}
	if !works(t, u, key) {
		t.Fatal("the new key is not accepted")
	}

	// Never again: not in the list, the form, any later page, nor the log.
	list = u.Get("/teams/default/keys")
	uitest.MustContain(t, list, "laptop &lt;b&gt;", expires, "You")
	for _, p := range []string{"/teams/default/keys", "/teams/default/keys/new", "/teams/default/secrets", "/teams"} {
		if page := u.Get(p); strings.Contains(page.Body, key) || strings.Contains(page.Header.Get("Location"), key) {
			t.Fatalf("%s shows the key", p)
		}
	}
	links := revokeLinkRE.FindAllStringSubmatch(list.Body, -1)
	if len(links) != 2 {
		t.Fatalf("%d revoke links, want 2", len(links))
	}
	revokeURL := links[0][1] // newest first: the laptop's
	confirm := u.Get(revokeURL)
	uitest.MustStatus(t, confirm, http.StatusOK)
	uitest.MustContain(t, confirm, "Revoke", "laptop &lt;b&gt;", "cannot be undone")
	if !works(t, u, key) {
		t.Fatal("showing the confirmation revoked the key")
	}
	done := u.Post(revokeURL, nil)
	uitest.MustStatus(t, done, http.StatusSeeOther)
	if done.Location() != "/teams/default/keys" {
		t.Fatalf("revoke redirects to %q", done.Location())
	}
	uitest.MustContain(t, u.Follow(done), "API key revoked")
	if works(t, u, key) {
		t.Fatal("a revoked key is accepted on the next call")
	}
	uitest.MustStatus(t, u.Get(revokeURL), http.StatusNotFound)
	uitest.MustStatus(t, u.Get("/teams/default/keys/not-a-uuid/revoke"), http.StatusNotFound)
	if strings.Contains(u.Logs.String(), key) {
		t.Fatal("the key is in the UI's log")
	}
}

func TestAPIKeyFormRefusesBadInputKeepingTheName(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	for _, tc := range []struct{ name, expires, says string }{
		{"", "", "Give the key a name."},
		{"ci", "2001-01-01", "The date must be in the future."},
		{"ci", "tomorrow", "YYYY-MM-DD"},
	} {
		p := u.Post("/teams/default/keys", url.Values{"name": {tc.name}, "expires": {tc.expires}})
		uitest.MustStatus(t, p, http.StatusUnprocessableEntity)
		uitest.MustContain(t, p, tc.says, `value="`+tc.name+`"`)
		if shownKeyRE.MatchString(p.Body) {
			t.Fatalf("%+v: a key was shown", tc)
		}
	}
}

// A read-only member makes their own key: it is read-only too, and the
// form offers no team key.
func TestReadOnlyMemberMakesAReadOnlyKey(t *testing.T) {
	u := uitest.Start(t)
	u.Env.Member(t, "default", localapi.RoleReadOnlyUser, "rita")
	u.Login(u.Env.Key(t, "default", localapi.RoleReadOnlyUser, "rita"))
	form := u.Get("/teams/default/keys/new")
	if strings.Contains(form.Body, `value="team"`) {
		t.Fatal("a read-only member is offered a team key")
	}
	made := u.Post("/teams/default/keys", url.Values{"name": {"rita's laptop"}})
	uitest.MustStatus(t, made, http.StatusOK)
	key := shownKeyRE.FindStringSubmatch(made.Body)[1]
	r := u.Env.Do(t, key, "", `mutation { set_secret(input: { name: "X", value: "v" }) { success } }`, nil)
	if r.Code() != localapi.CodeForbidden {
		t.Fatalf("rita's new key writes: %+v", r)
	}
	// She sees her keys, not the admin's.
	list := u.Get("/teams/default/keys")
	if n := len(revokeLinkRE.FindAllString(list.Body, -1)); n != 2 {
		t.Fatalf("rita sees %d keys, want her 2", n)
	}
}

// A session signed in with a key goes to sign-in on its next page once the
// key is revoked, or has expired.
func TestSessionOfARevokedOrExpiredKeyGoesToSignIn(t *testing.T) {
	u := uitest.Start(t)
	u.Env.Member(t, "default", localapi.RoleUser, "bob")
	bobKey, _, err := u.Env.Store.CreateKeyWith(context.Background(), "default", localapi.RoleUser, "bob",
		localapi.KeyOptions{Name: "bob's phone"})
	if err != nil {
		t.Fatal(err)
	}
	bob := u.Browser()
	bob.Login(bobKey)
	uitest.MustStatus(t, bob.Get("/teams/default/secrets"), http.StatusOK)

	// The admin revokes bob's key in the UI.
	u.Login(u.Env.AdminKey)
	link := revokeLinkOf(t, u.Get("/teams/default/keys"), "bob&#39;s phone")
	uitest.MustStatus(t, u.Post(link, nil), http.StatusSeeOther)
	if works(t, u, bobKey) || !works(t, u, u.Env.AdminKey) {
		t.Fatal("the wrong key was revoked")
	}
	for _, p := range []string{"/teams/default/secrets", "/teams/default/keys"} {
		if loc := bob.Get(p).Location(); !strings.HasPrefix(loc, "/login") {
			t.Fatalf("bob's next page %s goes to %q, want /login", p, loc)
		}
	}

	// An expired key: the same.
	u.Env.Member(t, "default", localapi.RoleUser, "eve")
	key, _, err := u.Env.Store.CreateKeyWith(context.Background(), "default", localapi.RoleUser, "eve",
		localapi.KeyOptions{Name: "short", ExpiresAt: time.Now().Add(1500 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	eve := u.Browser()
	eve.Login(key)
	uitest.MustStatus(t, eve.Get("/teams/default/secrets"), http.StatusOK)
	time.Sleep(1600 * time.Millisecond)
	if loc := eve.Get("/teams/default/secrets").Location(); !strings.HasPrefix(loc, "/login") {
		t.Fatalf("an expired key's next page goes to %q, want /login", loc)
	}
}

// revokeLinkOf finds the revoke link in the row of the key named name (as
// HTML-escaped in the page).
func revokeLinkOf(t *testing.T, list uitest.Page, name string) string {
	t.Helper()
	for _, row := range strings.Split(list.Body, "<tr>") {
		if strings.Contains(row, name) {
			if m := revokeLinkRE.FindStringSubmatch(row); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no row for key %q: %s", name, uitest.Excerpt(list.Body))
	return ""
}
