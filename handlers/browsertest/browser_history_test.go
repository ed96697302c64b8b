package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"teamsecrets/handlers/uitest"
)

// historyCanary is a value that must never reach the History page.
const historyCanary = "CANARY-0c4b-history-VALUE"

// rowTexts is each row of the History table, its cells' words joined.
func rowTexts(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var rows []string
	run(t, ctx, chromedp.Evaluate(`[...document.querySelectorAll("table.history tbody tr")].map(r => r.textContent.split(/\s+/).filter(Boolean).join(" "))`, &rows))
	return rows
}

func containsRow(rows []string, parts ...string) int {
	n := 0
	for _, r := range rows {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(r, p)
		}
		if all {
			n++
		}
	}
	return n
}

// The History page in Chromium, with JavaScript and without: a signed-in
// admin adds, rotates, renames and deletes a secret through the forms,
// opens History from the header and sees each event (the rename as one
// row), follows a list row's link to one secret's history, and pages. No
// value reaches the page.
func TestBrowserHistory(t *testing.T) {
	tab := startBrowser(t)
	for _, js := range []bool{true, false} {
		t.Run(fmt.Sprintf("javascript=%v", js), func(t *testing.T) {
			u := uitest.Start(t)
			base := u.URL
			ctx := tab(t, js)
			signIn(t, ctx, base, u.Env.AdminKey)

			add := func(name string) {
				run(t, ctx, chromedp.Navigate(base+"/teams/default/secrets/new"), chromedp.WaitVisible("#name", chromedp.ByQuery))
				submitForm(t, ctx, map[string]string{"#name": name, "#value": historyCanary}, "main button[type=submit]")
				if got := textOf(t, ctx, ".flash"); got != "Secret "+name+" added." {
					t.Fatalf("add flash: %q", got)
				}
			}
			rotate := func(name string, fields map[string]string) {
				run(t, ctx, chromedp.Navigate(base+"/teams/default/secrets/"+name+"/rotate"), chromedp.WaitVisible("#value", chromedp.ByQuery))
				submitForm(t, ctx, fields, "main button[type=submit]")
			}
			add("KEEP_ME")
			rotate("KEEP_ME", map[string]string{"#value": historyCanary + "-2"})
			add("OLD_TOKEN")
			rotate("OLD_TOKEN", map[string]string{"#value": historyCanary + "-2"})
			rotate("OLD_TOKEN", map[string]string{"#value": historyCanary + "-3", "#new_name": "NEW_TOKEN"})
			if got := textOf(t, ctx, ".flash"); !strings.Contains(got, "renamed to NEW_TOKEN") {
				t.Fatalf("rename flash: %q", got)
			}
			navigating(t, ctx, chromedp.Click(`a.act-danger[href$="/NEW_TOKEN/delete"]`, chromedp.ByQuery))
			navigating(t, ctx, chromedp.Click("button.danger", chromedp.ByQuery))
			if got := textOf(t, ctx, ".flash"); got != "Secret NEW_TOKEN deleted." {
				t.Fatalf("delete flash: %q", got)
			}

			// History, from the header.
			navigating(t, ctx, chromedp.Click(`header a[href="/teams/default/history"]`, chromedp.ByQuery))
			if got := textOf(t, ctx, "h1"); got != "History" {
				t.Fatalf("h1 %q", got)
			}
			rows := rowTexts(t, ctx)
			for _, want := range [][]string{
				{"Added", "KEEP_ME", "admin"}, {"Replaced", "KEEP_ME"}, {"Added", "OLD_TOKEN"}, {"Replaced", "OLD_TOKEN"},
				{"Renamed", "OLD_TOKEN → NEW_TOKEN"}, {"Deleted", "NEW_TOKEN"},
			} {
				if n := containsRow(rows, want...); n != 1 {
					t.Errorf("%d rows with %q, want 1:\n%s", n, want, strings.Join(rows, "\n"))
				}
			}
			if n := containsRow(rows, "Renamed"); n != 1 {
				t.Errorf("%d Renamed rows, want 1", n)
			}
			if n := containsRow(rows, "Deleted", "OLD_TOKEN"); n != 0 {
				t.Error("the rename's delete shows as its own row")
			}
			var html string
			run(t, ctx, chromedp.OuterHTML("html", &html, chromedp.ByQuery))
			if strings.Contains(html, historyCanary) || strings.Contains(html, u.Env.AdminKey) {
				t.Fatal("the History page holds a value or a key")
			}

			// One secret's history, through its row's link in the list.
			navigating(t, ctx, chromedp.Click(`main a[href="/teams/default/secrets"]`, chromedp.ByQuery))
			navigating(t, ctx, chromedp.Click(`table.secrets a[href="/teams/default/history?secret=KEEP_ME"]`, chromedp.ByQuery))
			if got := strings.Join(strings.Fields(textOf(t, ctx, "h1")), " "); got != "History of KEEP_ME" {
				t.Fatalf("h1 %q", got)
			}
			rows = rowTexts(t, ctx)
			if len(rows) != 2 || containsRow(rows, "Replaced", "KEEP_ME") != 1 || containsRow(rows, "Added", "KEEP_ME") != 1 {
				t.Fatalf("KEEP_ME's history:\n%s", strings.Join(rows, "\n"))
			}
			navigating(t, ctx, chromedp.Click(`a[href="/teams/default/history"]:not(header a)`, chromedp.ByQuery))
			if got := textOf(t, ctx, "h1"); got != "History" {
				t.Fatalf("after All events: h1 %q", got)
			}

			// Paging: 60 more events (a bulk write by the operator) push
			// the UI's to page 2.
			team, _ := u.Env.Store.TenantBySlug(t.Context(), "default")
			values := map[string]json.RawMessage{}
			for i := range 60 {
				values[fmt.Sprintf("BULK_%02d", i)] = json.RawMessage(`"v"`)
			}
			if err := u.Env.Store.PutSecrets(t.Context(), team.ID, values); err != nil {
				t.Fatal(err)
			}
			run(t, ctx, chromedp.Navigate(base+"/teams/default/history"), chromedp.WaitVisible("table.history", chromedp.ByQuery))
			if rows := rowTexts(t, ctx); len(rows) != 50 || containsRow(rows, "Renamed") != 0 {
				t.Fatalf("page 1: %d rows", len(rows))
			}
			if n := count(t, ctx, `a[rel=prev]`); n != 0 {
				t.Fatal("page 1 links to a newer page")
			}
			navigating(t, ctx, chromedp.Click(`a[rel=next]`, chromedp.ByQuery))
			if got := strings.Join(strings.Fields(textOf(t, ctx, "nav.pager")), " "); !strings.Contains(got, "Page 2 of 2") {
				t.Fatalf("pager %q", got)
			}
			rows = rowTexts(t, ctx)
			if containsRow(rows, "Renamed", "OLD_TOKEN → NEW_TOKEN") != 1 || containsRow(rows, "BULK_") != 10 {
				t.Fatalf("page 2:\n%s", strings.Join(rows, "\n"))
			}
			navigating(t, ctx, chromedp.Click(`a[rel=prev]`, chromedp.ByQuery))
			if rows := rowTexts(t, ctx); len(rows) != 50 {
				t.Fatalf("back on page 1: %d rows", len(rows))
			}
		})
	}
}

// Screenshots of the History page, all events and one secret's, beside
// the others.
func TestBrowserHistoryScreenshots(t *testing.T) {
	tab := startBrowser(t)
	u := uitest.Start(t)
	dir := screenshotDir(t)
	u.Login(u.Env.AdminKey)
	for _, n := range []string{"GITHUB_TOKEN", "SNOWFLAKE_PASSWORD", "SLACK_WEBHOOK_URL"} {
		uitest.MustStatus(t, u.AddSecret("default", n, historyCanary, "text"), 200)
	}
	u.Post("/teams/default/secrets/GITHUB_TOKEN/rotate", map[string][]string{"value": {historyCanary}})
	u.Post("/teams/default/secrets/SLACK_WEBHOOK_URL/rotate", map[string][]string{"value": {historyCanary}, "new_name": {"SLACK_WEBHOOK_URL_ALERTS"}})
	u.Post("/teams/default/secrets/SNOWFLAKE_PASSWORD/delete", nil)
	ctx := tab(t, true)
	signIn(t, ctx, u.URL, u.Env.AdminKey)
	shootPage(t, ctx, dir, "history", u.URL+"/teams/default/history")
	shootPage(t, ctx, dir, "history-secret", u.URL+"/teams/default/history?secret=GITHUB_TOKEN")
	t.Logf("screenshots in %s", dir)
}
