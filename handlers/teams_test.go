package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"teamsecrets/handlers"
	"teamsecrets/localapi"
)

// joinTeams makes n teams named like real ones ("Data Engineering 007")
// and puts user in each.
func joinTeams(t *testing.T, u *ui, user string, n int) []string {
	t.Helper()
	var slugs []string
	for i := 1; i <= n; i++ {
		slug := fmt.Sprintf("data-engineering-%03d", i)
		if _, err := u.env.Store.TenantBySlug(t.Context(), slug); err != nil {
			if _, err := u.env.Store.CreateTenant(t.Context(), slug, fmt.Sprintf("Data Engineering %03d", i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := u.env.Store.AddMember(t.Context(), slug, localapi.RoleUser, user); err != nil {
			t.Fatal(err)
		}
		slugs = append(slugs, slug)
	}
	return slugs
}

var switcherLink = regexp.MustCompile(`<nav aria-label="Switch team">[\s\S]*?</nav>`)

// A user in 200 teams signs in, finds every team, and works in one the
// session cookie could not keep.
func TestUserInTwoHundredTeamsSignsInAndSwitches(t *testing.T) {
	u := startUI(t)
	slugs := joinTeams(t, u, "admin", 200)
	signIn := u.post("/login", url.Values{"key": {u.env.AdminKey}})
	mustStatus(t, signIn, http.StatusSeeOther)
	list := u.follow(signIn)
	mustStatus(t, list, http.StatusOK)
	mustContain(t, list, "Signed in as admin.", `aria-label="Switch team"`, `href="/teams"`)

	switcher := switcherLink.FindString(list.Body)
	t.Logf("session cookie %d bytes, %d teams in the switcher", len(findCookie(signIn, "ts_session").Value),
		strings.Count(switcher, "<li>"))
	var notKept string
	for _, s := range slugs {
		if !strings.Contains(switcher, `href="/teams/`+s+`/secrets"`) {
			notKept = s
		}
	}
	if notKept == "" {
		t.Fatal("all 200 teams are in the switcher; the test needs one that is not")
	}

	all := u.get("/teams")
	mustStatus(t, all, http.StatusOK)
	mustContain(t, all, "Your teams", `href="/teams/default/secrets"`)
	for _, s := range slugs {
		if !strings.Contains(all.Body, `href="/teams/`+s+`/secrets"`) {
			t.Fatalf("/teams lacks %s", s)
		}
	}

	other := u.get("/teams/" + notKept + "/secrets")
	mustStatus(t, other, http.StatusOK)
	mustContain(t, other, "No secrets yet", `aria-current="page">Data Engineering `+strings.TrimPrefix(notKept, "data-engineering-"))
	if loc := u.get("/").location(); loc != "/teams/"+notKept+"/secrets" {
		t.Fatalf("/ goes to %q, not the team in use", loc)
	}
	name := "LONG_" + strings.Repeat("x", 250)
	mustContain(t, u.addSecret(notKept, name, "v", "text"), "Secret "+name+" added.")
	if got := u.names(u.env.AdminKey); len(got) != 0 {
		t.Fatalf("the secret went to the key's default team: %v", got)
	}
	// Back to the first team, still kept.
	mustStatus(t, u.get("/teams/default/secrets"), http.StatusOK)
	mustContain(t, u.get("/teams"), `aria-current="page"`)
}

// Members of 14 to 20 teams add and rename secrets with 255-character
// names and get the success message, every cookie under 4 KB.
func TestManyTeamsAndLongNamesStillGetTheSuccessMessage(t *testing.T) {
	u := startUI(t)
	for _, n := range []int{14, 17, 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			user := fmt.Sprintf("member-%d", n)
			slugs := joinTeams(t, u, user, n)
			key := u.env.Key(t, slugs[n-1], localapi.RoleUser, user)
			b := u.browser()
			b.t = t
			b.login(key)
			team := slugs[n-1]
			name := "A-" + strings.Repeat("n", 253) // 255, with the no-env-override note
			list := b.addSecret(team, name, "v", "text")
			mustContain(t, list, "Secret "+name+" added.", "cannot be overridden")
			renamed := "B_" + strings.Repeat("r", 253)
			p := b.post("/teams/"+team+"/secrets/"+name+"/rotate", url.Values{"value": {"w"}, "new_name": {renamed}})
			mustStatus(t, p, http.StatusSeeOther)
			mustContain(t, b.follow(p), "Secret "+name+" renamed to "+renamed+", with the new value.")
			p = b.post("/teams/"+team+"/secrets/"+renamed+"/delete", nil)
			mustStatus(t, p, http.StatusSeeOther)
			mustContain(t, b.follow(p), "Secret "+renamed+" deleted.")
		})
	}
}

// Should the session cookie fail to save after a write was made, the page
// still says the write was made: never a 500 for a change that happened.
func TestWriteThatWasMadeIsReportedWhenTheSessionCannotBeSaved(t *testing.T) {
	u := startUI(t)
	u.login(u.env.AdminKey)
	u.addSecret("default", "OLD", "v", "text")
	// The same browser (cookies ignore the port) on a UI whose cookies
	// cannot hold any session.
	broken := u.backend.ui(t, handlers.WithMaxCookieBytes(100))
	broken.client = u.client

	for _, w := range []struct {
		path string
		form url.Values
		says string
	}{
		{"/teams/default/secrets", url.Values{"name": {"NEW"}, "value": {"v"}}, "Secret NEW added."},
		{"/teams/default/secrets/OLD/rotate", url.Values{"value": {"w"}}, "Secret OLD rotated."},
		{"/teams/default/secrets/OLD/delete", nil, "Secret OLD deleted."},
	} {
		p := broken.post(w.path, w.form)
		mustStatus(t, p, http.StatusOK)
		mustContain(t, p, "Change saved", w.says, `href="/teams/default/secrets"`)
	}
	if got := strings.Join(u.names(u.env.AdminKey), ","); got != "NEW" {
		t.Fatalf("names after the writes: %s", got)
	}
	if !strings.Contains(broken.logs.String(), "session not saved after a write") {
		t.Fatal("the failed save is not logged")
	}
}
