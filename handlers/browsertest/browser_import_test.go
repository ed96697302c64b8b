package browsertest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"teamsecrets/handlers/uitest"
)

// importCanary is a value that must never reach a page.
const importCanary = "CANARY-5e1f-import-VALUE"

// The Import page in Chromium, with JavaScript and without: paste, upload,
// the skip/replace choice, the result table, and the 413 page for a file
// over the limit. No value ever reaches the page.
func TestBrowserImport(t *testing.T) {
	tab := startBrowser(t)
	for _, js := range []bool{true, false} {
		t.Run(fmt.Sprintf("javascript=%v", js), func(t *testing.T) {
			u := uitest.Start(t)
			base := u.URL
			ctx := tab(t, js)
			signIn(t, ctx, base, u.Env.AdminKey)
			team, _ := u.Env.Store.TenantBySlug(t.Context(), "default")
			u.Env.Store.PutSecret(t.Context(), team.ID, "EXISTING", json.RawMessage(`"team value"`))

			// From the list, paste .env text and choose to replace.
			run(t, ctx, chromedp.Navigate(base+"/teams/default/secrets"), chromedp.WaitVisible("table.secrets", chromedp.ByQuery))
			navigating(t, ctx, chromedp.Click(`a[href="/teams/default/secrets/import"]`, chromedp.ByQuery))
			if got := textOf(t, ctx, "h1"); got != "Import secrets" {
				t.Fatalf("h1 %q", got)
			}
			run(t, ctx, chromedp.Click(`input[name=existing][value=replace]`, chromedp.ByQuery))
			submitForm(t, ctx, map[string]string{
				"#text": "GITHUB_TOKEN=" + importCanary + "\nEXISTING='" + importCanary + " new'\n1BAD=x\n",
			}, "main button[type=submit]")
			if got := textOf(t, ctx, "h1"); got != "Import results" {
				t.Fatalf("after paste: %q", got)
			}
			rows := textOf(t, ctx, "table.import-results tbody")
			for _, want := range []string{"GITHUB_TOKEN added", "EXISTING replaced", "1BAD invalid (name must start with a letter or an underscore)"} {
				if !strings.Contains(strings.Join(strings.Fields(rows), " "), want) {
					t.Errorf("results lack %q: %s", want, rows)
				}
			}
			if v, _ := u.Value(u.Env.AdminKey, "", "EXISTING"); v != `"`+importCanary+` new"` {
				t.Fatalf("EXISTING = %s", v)
			}
			var html string
			run(t, ctx, chromedp.OuterHTML("html", &html, chromedp.ByQuery))
			if strings.Contains(html, importCanary) {
				t.Fatal("the result page holds a value")
			}

			// Upload a config.toml; existing names are skipped (the default).
			dir := t.TempDir()
			config := filepath.Join(dir, "config.toml")
			os.WriteFile(config, []byte("[context.secrets]\nGITHUB_TOKEN = \"other\"\nPORT = 5432\n"), 0o600)
			navigating(t, ctx, chromedp.Click(`a[href="/teams/default/secrets/import"]`, chromedp.ByQuery))
			run(t, ctx, chromedp.SetUploadFiles("#file", []string{config}, chromedp.ByQuery))
			navigating(t, ctx, chromedp.Click("main button[type=submit]", chromedp.ByQuery))
			rows = strings.Join(strings.Fields(textOf(t, ctx, "table.import-results tbody")), " ")
			if !strings.Contains(rows, "GITHUB_TOKEN skipped (exists)") || !strings.Contains(rows, "PORT added") {
				t.Fatalf("upload results: %s", rows)
			}
			if got := textOf(t, ctx, "caption"); !strings.Contains(got, "config.toml") {
				t.Fatalf("caption %q", got)
			}
			if v, _ := u.Value(u.Env.AdminKey, "", "PORT"); v != "5432" {
				t.Fatalf("PORT = %s", v)
			}

			// A file over 1 MiB: the browser shows the 413 page.
			big := filepath.Join(dir, "big.env")
			os.WriteFile(big, []byte("A="+strings.Repeat("x", 1<<20)+"\n"), 0o600)
			run(t, ctx, chromedp.Navigate(base+"/teams/default/secrets/import"), chromedp.WaitVisible("#file", chromedp.ByQuery),
				chromedp.SetUploadFiles("#file", []string{big}, chromedp.ByQuery))
			navigating(t, ctx, chromedp.Click("main button[type=submit]", chromedp.ByQuery))
			if got := textOf(t, ctx, "h1"); got != "Too large to import" {
				t.Fatalf("413 page: %q", got)
			}
			// A mistake shows the form again, empty.
			run(t, ctx, chromedp.Navigate(base+"/teams/default/secrets/import"), chromedp.WaitVisible("#text", chromedp.ByQuery))
			submitForm(t, ctx, map[string]string{"#text": "B=\"" + importCanary + "\n"}, "main button[type=submit]")
			if got := textOf(t, ctx, ".banner-error"); !strings.Contains(got, "a quoted value has no closing quote") {
				t.Fatalf("error banner: %q", got)
			}
			var text string
			run(t, ctx, chromedp.Value("#text", &text, chromedp.ByQuery))
			if text != "" {
				t.Fatal("the text was sent back")
			}
		})
	}
}

// Screenshots of the Import form and its results, beside the others.
func TestBrowserImportScreenshots(t *testing.T) {
	tab := startBrowser(t)
	u := uitest.Start(t)
	dir := os.Getenv("TEAMSECRETS_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "testoutput", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t, true)
	signIn(t, ctx, u.URL, u.Env.AdminKey)
	team, _ := u.Env.Store.TenantBySlug(t.Context(), "default")
	u.Env.Store.PutSecret(t.Context(), team.ID, "EXISTING", json.RawMessage(`"x"`))
	for _, width := range []int64{1280, 390} {
		run(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(u.URL+"/teams/default/secrets/import"),
			chromedp.WaitVisible("#text", chromedp.ByQuery))
		var png []byte
		run(t, ctx, chromedp.FullScreenshot(&png, 100))
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("import-%d.png", width)), png, 0o644)
		submitForm(t, ctx, map[string]string{"#text": "A=1\nEXISTING=2\nbad-name.x=3\n9NINE=4\n"}, "main button[type=submit]")
		var overflow bool
		run(t, ctx, chromedp.FullScreenshot(&png, 100),
			chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow))
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("import-results-%d.png", width)), png, 0o644)
		if overflow {
			t.Errorf("results at %d px scroll sideways", width)
		}
	}
}
