package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

// browser starts headless Chromium with a fresh profile; each call of tab
// opens a new tab in it.
func startBrowser(t *testing.T) func(t *testing.T, js bool) context.Context {
	t.Helper()
	// Not t.TempDir: Chromium may still write to its profile while the test
	// cleans up, so remove it ourselves after the browser is gone.
	profile, err := os.MkdirTemp("", "teamsecrets-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	if err := chromedp.Run(browserCtx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	})
	return func(t *testing.T, js bool) context.Context {
		ctx, cancel := chromedp.NewContext(browserCtx)
		ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
		t.Cleanup(func() { cancelTimeout(); cancel() })
		if err := chromedp.Run(ctx, emulation.SetScriptExecutionDisabled(!js)); err != nil {
			t.Fatal(err)
		}
		return ctx
	}
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	run(t, ctx, chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	var n int
	run(t, ctx, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &n))
	return n
}

// navigating runs actions that load a new page and waits until the new
// document is complete. The old document is marked first; polling is done
// from Go, so it works with the page's JavaScript disabled too.
func navigating(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	run(t, ctx, chromedp.Evaluate(`window.__stale = true`, nil))
	run(t, ctx, actions...)
	deadline := time.Now().Add(15 * time.Second)
	for {
		var ready bool
		err := chromedp.Run(ctx, chromedp.Evaluate(`!window.__stale && document.readyState === "complete"`, &ready))
		if err == nil && ready {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new page loaded (%v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// submitForm fills fields (selector -> text) and submits with the button.
func submitForm(t *testing.T, ctx context.Context, fields map[string]string, button string) {
	t.Helper()
	var actions []chromedp.Action
	for sel, v := range fields {
		actions = append(actions, chromedp.SendKeys(sel, v, chromedp.ByQuery))
	}
	run(t, ctx, actions...)
	navigating(t, ctx, chromedp.Click(button, chromedp.ByQuery))
}

func signIn(t *testing.T, ctx context.Context, base, key string) {
	t.Helper()
	run(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible("#key", chromedp.ByQuery))
	submitForm(t, ctx, map[string]string{"#key": key}, "main button[type=submit]")
	run(t, ctx, chromedp.WaitVisible("form.signout", chromedp.ByQuery))
}

// The core flow, once with JavaScript and once without.
func TestBrowserCoreFlow(t *testing.T) {
	tab := startBrowser(t)
	for _, js := range []bool{true, false} {
		t.Run(fmt.Sprintf("javascript=%v", js), func(t *testing.T) {
			u := uitest.Start(t)
			base := u.URL
			ctx := tab(t, js)

			signIn(t, ctx, base, u.Env.AdminKey)
			if got := textOf(t, ctx, "main h2"); got != "No secrets yet" {
				t.Fatalf("empty state: %q", got)
			}

			// Add a text secret and a JSON secret through the form.
			navigating(t, ctx, chromedp.Click(`a.button.primary`, chromedp.ByQuery))
			submitForm(t, ctx, map[string]string{"#name": "GITHUB_TOKEN", "#value": "ghp_example"}, "main button[type=submit]")
			if got := textOf(t, ctx, ".flash"); got != "Secret GITHUB_TOKEN added." {
				t.Fatalf("flash: %q", got)
			}
			run(t, ctx, chromedp.Navigate(base+"/teams/default/secrets/new"), chromedp.WaitVisible("#name", chromedp.ByQuery),
				chromedp.Click(`input[name=type][value=json]`, chromedp.ByQuery))
			submitForm(t, ctx, map[string]string{"#name": "db.config", "#value": `{"user": "app"}`}, "main button[type=submit]")
			if got := textOf(t, ctx, ".flash"); !strings.HasPrefix(got, "Secret db.config added.") {
				t.Fatalf("flash: %q", got)
			}
			if got := textOf(t, ctx, "table.secrets tbody"); !strings.Contains(got, "db.config") || !strings.Contains(got, "GITHUB_TOKEN") {
				t.Fatalf("list: %q", got)
			}
			if v, _ := u.Value(u.Env.AdminKey, "", "db.config"); v != `{"user":"app"}` {
				t.Fatalf("json stored as %s", v)
			}

			// Search.
			run(t, ctx, chromedp.SendKeys("#q", "github", chromedp.ByQuery))
			navigating(t, ctx, chromedp.Submit("#q", chromedp.ByQuery))
			if n := count(t, ctx, "table.secrets tbody tr"); n != 1 {
				t.Fatalf("search shows %d rows", n)
			}

			// Existing name: the form asks for an explicit overwrite. With
			// JavaScript it asks before sending, and the value typed stays;
			// without, the server asks and the value must be typed again.
			run(t, ctx, chromedp.Navigate(base+"/teams/default/secrets/new"), chromedp.WaitVisible("#name", chromedp.ByQuery))
			if js {
				run(t, ctx, chromedp.SendKeys("#name", "GITHUB_TOKEN", chromedp.ByQuery), chromedp.SendKeys("#value", "second", chromedp.ByQuery),
					chromedp.Click("main button[type=submit]", chromedp.ByQuery), chromedp.WaitVisible("#overwrite", chromedp.ByQuery))
				if got := textOf(t, ctx, "#overwrite"); !strings.Contains(got, "A secret named GITHUB_TOKEN already exists.") {
					t.Fatalf("no overwrite question: %q", got)
				}
				var value, button string
				run(t, ctx, chromedp.Value("#value", &value, chromedp.ByQuery), chromedp.Text("main button[type=submit]", &button, chromedp.ByQuery))
				if value != "second" || button != "Overwrite secret" {
					t.Fatalf("after the check: value %q, button %q", value, button)
				}
				if v, _ := u.Value(u.Env.AdminKey, "", "GITHUB_TOKEN"); v != `"ghp_example"` {
					t.Fatalf("overwritten before the confirmation: %s", v)
				}
				run(t, ctx, chromedp.Click(`input[name=overwrite]`, chromedp.ByQuery))
				navigating(t, ctx, chromedp.Click("main button[type=submit]", chromedp.ByQuery))
			} else {
				submitForm(t, ctx, map[string]string{"#name": "GITHUB_TOKEN", "#value": "second"}, "main button[type=submit]")
				if got := textOf(t, ctx, ".confirm"); !strings.Contains(got, "already exists") {
					t.Fatalf("no overwrite question: %q", got)
				}
				if n := count(t, ctx, ".banner-error, .field-error"); n != 0 {
					t.Fatalf("%d more alerts beside the question", n)
				}
				var value string
				run(t, ctx, chromedp.Value("#value", &value, chromedp.ByQuery))
				if value != "" {
					t.Fatal("the value field was refilled")
				}
				run(t, ctx, chromedp.Click(`input[name=overwrite]`, chromedp.ByQuery))
				submitForm(t, ctx, map[string]string{"#value": "second"}, "main button[type=submit]")
			}
			if got := textOf(t, ctx, ".flash"); got != "Secret GITHUB_TOKEN saved." {
				t.Fatalf("flash after overwrite: %q", got)
			}
			if v, _ := u.Value(u.Env.AdminKey, "", "GITHUB_TOKEN"); v != `"second"` {
				t.Fatalf("value after overwrite: %s", v)
			}

			// A bad name is refused by the browser: nothing is sent, the
			// value stays.
			run(t, ctx, chromedp.Navigate(base+"/teams/default/secrets/new"), chromedp.WaitVisible("#name", chromedp.ByQuery),
				chromedp.SendKeys("#name", "1st token", chromedp.ByQuery), chromedp.SendKeys("#value", "kept", chromedp.ByQuery),
				chromedp.Click("main button[type=submit]", chromedp.ByQuery))
			var invalid bool
			var kept string
			run(t, ctx, chromedp.Evaluate(`document.getElementById("name").validity.patternMismatch`, &invalid),
				chromedp.Value("#value", &kept, chromedp.ByQuery))
			if !invalid || kept != "kept" {
				t.Fatalf("bad name: pattern mismatch %v, value %q", invalid, kept)
			}

			// Rotate, then rename.
			run(t, ctx, chromedp.Navigate(base+"/teams/default/secrets/GITHUB_TOKEN/rotate"), chromedp.WaitVisible("#value", chromedp.ByQuery))
			submitForm(t, ctx, map[string]string{"#value": "third"}, "main button[type=submit]")
			if got := textOf(t, ctx, ".flash"); got != "Secret GITHUB_TOKEN rotated." {
				t.Fatalf("rotate flash: %q", got)
			}
			run(t, ctx, chromedp.Navigate(base+"/teams/default/secrets/GITHUB_TOKEN/rotate"), chromedp.WaitVisible("#value", chromedp.ByQuery))
			submitForm(t, ctx, map[string]string{"#value": "fourth", "#new_name": "GH_TOKEN"}, "main button[type=submit]")
			if got := textOf(t, ctx, ".flash"); !strings.Contains(got, "renamed to GH_TOKEN") {
				t.Fatalf("rename flash: %q", got)
			}
			if v, _ := u.Value(u.Env.AdminKey, "", "GH_TOKEN"); v != `"fourth"` {
				t.Fatalf("renamed value %s", v)
			}

			// Delete with confirmation.
			navigating(t, ctx, chromedp.Click(`a.act-danger[href$="/GH_TOKEN/delete"]`, chromedp.ByQuery))
			if got := textOf(t, ctx, "h1"); got != "Delete GH_TOKEN?" {
				t.Fatalf("confirmation: %q", got)
			}
			navigating(t, ctx, chromedp.Click("button.danger", chromedp.ByQuery))
			if got := textOf(t, ctx, ".flash"); got != "Secret GH_TOKEN deleted." {
				t.Fatalf("delete flash: %q", got)
			}

			// Sign out.
			navigating(t, ctx, chromedp.Click(`form.signout button`, chromedp.ByQuery))
			if got := textOf(t, ctx, ".flash"); got != "You signed out." {
				t.Fatalf("sign-out notice: %q", got)
			}
		})
	}
}

func TestBrowserPagingTeamsAndReadOnly(t *testing.T) {
	tab := startBrowser(t)
	u := uitest.Start(t)
	base := u.URL
	team, _ := u.Env.Store.TenantBySlug(t.Context(), "default")
	for i := range 60 {
		u.Env.Store.PutSecret(t.Context(), team.ID, fmt.Sprintf("PAGED_%02d", i), json.RawMessage(`"v"`))
	}
	u.Env.Team(t, "ops")
	if err := u.Env.Store.AddMember(t.Context(), "ops", localapi.RoleReadOnlyUser, "admin"); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t, true)
	signIn(t, ctx, base, u.Env.AdminKey)

	// Page through 60 secrets.
	if n := count(t, ctx, "table.secrets tbody tr"); n != 50 {
		t.Fatalf("page 1 rows: %d", n)
	}
	navigating(t, ctx, chromedp.Click(`a[rel=next]`, chromedp.ByQuery))
	if n := count(t, ctx, "table.secrets tbody tr"); n != 10 {
		t.Fatalf("page 2 rows: %d", n)
	}
	// The per-page select applies at once (enhancement).
	navigating(t, ctx, chromedp.Evaluate(`(() => { const s = document.getElementById("per_page"); s.value = "20";
		s.dispatchEvent(new Event("change")); return true })()`, nil))
	if n := count(t, ctx, "table.secrets tbody tr"); n != 20 {
		t.Fatalf("20 per page: %d rows", n)
	}

	// Keyboard only: Tab to "Add secret" and press Enter.
	run(t, ctx, chromedp.Navigate(base+"/teams/default/secrets"), chromedp.WaitVisible("table", chromedp.ByQuery))
	reached := false
	for i := 0; i < 12 && !reached; i++ {
		var label string
		run(t, ctx, chromedp.KeyEvent(kb.Tab), chromedp.Evaluate(`document.activeElement.textContent.trim()`, &label))
		reached = label == "Add secret"
	}
	if !reached {
		t.Fatal("Add secret is not reachable with Tab")
	}
	navigating(t, ctx, chromedp.KeyEvent(kb.Enter))
	if n := count(t, ctx, "#name"); n != 1 {
		t.Fatal("Enter on Add secret did not open the form")
	}

	// Switch team: ops, where admin is read-only.
	run(t, ctx, chromedp.Navigate(base+"/teams/default/secrets"), chromedp.WaitVisible("details.switcher", chromedp.ByQuery),
		chromedp.Click("details.switcher summary", chromedp.ByQuery))
	navigating(t, ctx, chromedp.Click(`details.switcher a[href="/teams/ops/secrets"]`, chromedp.ByQuery))
	if got := textOf(t, ctx, "main .note"); !strings.Contains(got, "read-only access") {
		t.Fatalf("read-only notice: %q", got)
	}
	if n := count(t, ctx, `a[href$="/new"], a[href$="/rotate"], a[href$="/delete"]`); n != 0 {
		t.Fatalf("read-only member sees %d write actions", n)
	}
}

// A member of 60 teams, JavaScript off: the switcher holds the teams the
// cookie keeps and links to the page with all of them; a team from there
// opens and becomes the team in use.
func TestBrowserManyTeamsThroughTheTeamPage(t *testing.T) {
	tab := startBrowser(t)
	u := uitest.Start(t)
	u.JoinTeams(t, "admin", 60)
	ctx := tab(t, false)
	signIn(t, ctx, u.URL, u.Env.AdminKey)

	run(t, ctx, chromedp.Click("details.switcher summary", chromedp.ByQuery),
		chromedp.WaitVisible(`details.switcher a[href="/teams"]`, chromedp.ByQuery))
	if n := count(t, ctx, "details.switcher li"); n < 3 || n > 30 {
		t.Fatalf("%d entries in the switcher", n)
	}
	if n := count(t, ctx, `details.switcher a[href="/teams/data-engineering-060/secrets"]`); n != 0 {
		t.Fatal("the test needs a team the switcher does not hold")
	}
	navigating(t, ctx, chromedp.Click(`details.switcher a[href="/teams"]`, chromedp.ByQuery))
	if n := count(t, ctx, ".team-list li"); n != 61 {
		t.Fatalf("%d teams on the team page, want 61", n)
	}
	navigating(t, ctx, chromedp.Click(`.team-list a[href="/teams/data-engineering-060/secrets"]`, chromedp.ByQuery))
	if got := textOf(t, ctx, "details.switcher summary"); !strings.Contains(got, "Data Engineering 060") {
		t.Fatalf("switcher shows %q", got)
	}
	if n := count(t, ctx, `details.switcher a[href="/teams/data-engineering-060/secrets"][aria-current=page]`); n != 1 {
		t.Fatal("the team in use is not in the switcher")
	}
}

// TestBrowserScreenshots writes each page at 1280 and 390 px, light and
// dark, to testoutput/screenshots (or TEAMSECRETS_SCREENSHOTS).
func TestBrowserScreenshots(t *testing.T) {
	tab := startBrowser(t)
	u := uitest.Start(t)
	base := u.URL
	dir := screenshotDir(t)
	team, _ := u.Env.Store.TenantBySlug(t.Context(), "default")
	ctx := tab(t, true)
	signIn(t, ctx, base, u.Env.AdminKey)
	shots := []struct {
		name, path string
		before     func()
	}{
		{"empty", "/teams/default/secrets", nil},
		{"list", "/teams/default/secrets", func() {
			for i, n := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "SLACK_WEBHOOK_URL", "db.password", "snowflake-credentials", "SENDGRID_API_KEY"} {
				u.Env.Store.PutSecret(t.Context(), team.ID, n, json.RawMessage(fmt.Sprintf(`"%d"`, i)))
			}
		}},
		{"list-by-updated", "/teams/default/secrets?sort=-updated", func() {
			// A write through the API, so it has a writer: the admin.
			u.Login(u.Env.AdminKey)
			u.AddSecret("default", "STRIPE_SECRET_KEY_FOR_THE_BILLING_SERVICE_IN_PRODUCTION_EU_WEST_1", "v", "text")
		}},
		{"list-paged", "/teams/default/secrets?page=3&per_page=20", func() {
			values := map[string]json.RawMessage{}
			for i := range 1234 {
				values[fmt.Sprintf("SERVICE_%04d_API_TOKEN", i)] = json.RawMessage(`"v"`)
			}
			u.Env.Store.PutSecrets(t.Context(), team.ID, values)
		}},
		{"search-empty", "/teams/default/secrets?q=nothing", nil},
		{"add", "/teams/default/secrets/new", nil},
		{"rotate", "/teams/default/secrets/GITHUB_TOKEN/rotate", nil},
		{"delete", "/teams/default/secrets/GITHUB_TOKEN/delete", nil},
		{"not-found", "/teams/default/secrets/NOPE/rotate", nil},
		{"invisible-characters", "/teams/default/secrets?q=invoice", func() {
			u.Env.Store.PutSecret(t.Context(), team.ID, "invoice\u202Etxt.exe", json.RawMessage(`"x"`))
			u.Env.Store.PutSecret(t.Context(), team.ID, "invoice_\u200Bexe", json.RawMessage(`"x"`))
		}},
		{"teams", "/teams", func() { u.JoinTeams(t, "admin", 12) }},
	}
	// shoot saves the page at path in every width and scheme.
	shoot := func(name, path string, then ...chromedp.Action) { shootPage(t, ctx, dir, name, base+path, then...) }
	for _, s := range shots {
		if s.before != nil {
			s.before()
		}
		shoot(s.name, s.path)
	}
	// And the sign-in page, signed out.
	navigating(t, ctx, chromedp.Click(`form.signout button`, chromedp.ByQuery))
	shoot("login", "/login")
	// A fresh tab with time of its own for the rest, signed in again so
	// the session holds the teams joined above.
	ctx = tab(t, true)
	signIn(t, ctx, base, u.Env.AdminKey)
	// The add form after its check found the name taken (JavaScript): the
	// question in place, the value kept.
	shoot("add-exists", "/teams/default/secrets/new",
		chromedp.SendKeys("#name", "GITHUB_TOKEN", chromedp.ByQuery), chromedp.SendKeys("#value", "typed value", chromedp.ByQuery),
		chromedp.Click("main button[type=submit]", chromedp.ByQuery), chromedp.WaitVisible("#overwrite", chromedp.ByQuery))
	// The team switcher, open.
	shoot("switcher-open", "/teams/default/secrets?q=STRIPE",
		chromedp.Evaluate(`document.querySelector("details.switcher").open = true`, nil))
	t.Logf("screenshots in %s", dir)
}

// screenshotDir is where screenshots go: TEAMSECRETS_SCREENSHOTS, or
// testoutput/screenshots.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TEAMSECRETS_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "testoutput", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shootPage saves the page at url, after then, at 1280 and 390 px, light
// and dark, as dir/NAME-WIDTH-SCHEME.png, and fails a page that scrolls
// sideways.
func shootPage(t *testing.T, ctx context.Context, dir, name, url string, then ...chromedp.Action) {
	t.Helper()
	for _, width := range []int64{1280, 390} {
		for _, scheme := range []string{"light", "dark"} {
			var png []byte
			var overflow bool
			run(t, ctx,
				emulation.SetDeviceMetricsOverride(width, 844, 1, width < 500),
				emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}),
				chromedp.Navigate(url), chromedp.WaitVisible("h1", chromedp.ByQuery),
				chromedp.Tasks(then),
				// Before the screenshot: a full-page screenshot resizes the
				// viewport to the page, hiding any sideways scroll.
				// (and mobile emulation widens the layout viewport to the
				// page: compare with the width asked for).
				chromedp.Evaluate(fmt.Sprintf(`document.documentElement.scrollWidth > %d`, width), &overflow),
				chromedp.FullScreenshot(&png, 100))
			if len(png) < 1000 {
				t.Fatalf("%s: empty screenshot", name)
			}
			if overflow {
				t.Errorf("%s at %d px scrolls sideways", name, width)
			}
			file := filepath.Join(dir, fmt.Sprintf("%s-%d-%s.png", name, width, scheme))
			if err := os.WriteFile(file, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
