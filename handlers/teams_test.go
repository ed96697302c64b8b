package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"teamsecrets/handlers"
	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

var switcherLink = regexp.MustCompile(`<nav aria-label="Switch team">[\s\S]*?</nav>`)

// A user in 200 teams signs in, finds every team, and works in one the
// session cookie could not keep.
func TestUserInTwoHundredTeamsSignsInAndSwitches(t *testing.T) {
	u := uitest.Start(t)
	slugs := u.JoinTeams(t, "admin", 200)
	signIn := u.Post("/login", url.Values{"key": {u.Env.AdminKey}})
	uitest.MustStatus(t, signIn, http.StatusSeeOther)
	list := u.Follow(signIn)
	uitest.MustStatus(t, list, http.StatusOK)
	uitest.MustContain(t, list, "Signed in as admin.", `aria-label="Switch team"`, `href="/teams"`)

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

	all := u.Get("/teams")
	uitest.MustStatus(t, all, http.StatusOK)
	uitest.MustContain(t, all, "Your teams", `href="/teams/default/secrets"`)
	for _, s := range slugs {
		if !strings.Contains(all.Body, `href="/teams/`+s+`/secrets"`) {
			t.Fatalf("/teams lacks %s", s)
		}
	}

	other := u.Get("/teams/" + notKept + "/secrets")
	uitest.MustStatus(t, other, http.StatusOK)
	uitest.MustContain(t, other, "No secrets yet", `aria-current="page">Data Engineering `+strings.TrimPrefix(notKept, "data-engineering-"))
	if loc := u.Get("/").Location(); loc != "/teams/"+notKept+"/secrets" {
		t.Fatalf("/ goes to %q, not the team in use", loc)
	}
	name := "LONG_" + strings.Repeat("x", 250)
	uitest.MustContain(t, u.AddSecret(notKept, name, "v", "text"), "Secret "+name+" added.")
	if got := u.Names(u.Env.AdminKey); len(got) != 0 {
		t.Fatalf("the secret went to the key's default team: %v", got)
	}
	// Back to the first team, still kept.
	uitest.MustStatus(t, u.Get("/teams/default/secrets"), http.StatusOK)
	uitest.MustContain(t, u.Get("/teams"), `aria-current="page"`)
}

// Members of 14 to 20 teams add and rename secrets with 255-character
// names and get the success message, every cookie under 4 KB.
func TestManyTeamsAndLongNamesStillGetTheSuccessMessage(t *testing.T) {
	u := uitest.Start(t)
	for _, n := range []int{14, 17, 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			user := fmt.Sprintf("member-%d", n)
			slugs := u.JoinTeams(t, user, n)
			key := u.Env.Key(t, slugs[n-1], localapi.RoleUser, user)
			b := u.Browser()
			b.T = t
			b.Login(key)
			team := slugs[n-1]
			name := "A-" + strings.Repeat("n", 253) // 255, with the no-env-override note
			list := b.AddSecret(team, name, "v", "text")
			uitest.MustContain(t, list, "Secret "+name+" added.", "cannot be overridden")
			renamed := "B_" + strings.Repeat("r", 253)
			p := b.Post("/teams/"+team+"/secrets/"+name+"/rotate", url.Values{"value": {"w"}, "new_name": {renamed}})
			uitest.MustStatus(t, p, http.StatusSeeOther)
			uitest.MustContain(t, b.Follow(p), "Secret "+name+" renamed to "+renamed+", with the new value.")
			p = b.Post("/teams/"+team+"/secrets/"+renamed+"/delete", nil)
			uitest.MustStatus(t, p, http.StatusSeeOther)
			uitest.MustContain(t, b.Follow(p), "Secret "+renamed+" deleted.")
		})
	}
}

// Should the session cookie fail to save after a write was made, the page
// still says the write was made: never a 500 for a change that happened.
func TestWriteThatWasMadeIsReportedWhenTheSessionCannotBeSaved(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "OLD", "v", "text")
	// The same browser (cookies ignore the port) on a UI whose cookies
	// cannot hold any session.
	broken := u.Backend.UI(t, handlers.WithMaxCookieBytes(100))
	broken.Client = u.Client

	for _, w := range []struct {
		path string
		form url.Values
		says string
	}{
		{"/teams/default/secrets", url.Values{"name": {"NEW"}, "value": {"v"}}, "Secret NEW added."},
		{"/teams/default/secrets/OLD/rotate", url.Values{"value": {"w"}}, "Secret OLD rotated."},
		{"/teams/default/secrets/OLD/delete", nil, "Secret OLD deleted."},
	} {
		p := broken.Post(w.path, w.form)
		uitest.MustStatus(t, p, http.StatusOK)
		uitest.MustContain(t, p, "Change saved", w.says, `href="/teams/default/secrets"`)
	}
	if got := strings.Join(u.Names(u.Env.AdminKey), ","); got != "NEW" {
		t.Fatalf("names after the writes: %s", got)
	}
	if !strings.Contains(broken.Logs.String(), "session not saved after a write") {
		t.Fatal("the failed save is not logged")
	}
}
