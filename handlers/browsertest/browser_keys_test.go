package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

// Create a key, see it once, revoke it: with JavaScript (a copy button)
// and without (select-all text).
func TestBrowserAPIKeys(t *testing.T) {
	tab := startBrowser(t)
	for _, js := range []bool{true, false} {
		t.Run(fmt.Sprintf("javascript=%v", js), func(t *testing.T) {
			u := uitest.Start(t)
			base := u.URL
			ctx := tab(t, js)
			signIn(t, ctx, base, u.Env.AdminKey)

			navigating(t, ctx, chromedp.Click(`a.keys-link`, chromedp.ByQuery))
			if got := textOf(t, ctx, "h1"); got != "API keys" {
				t.Fatalf("keys page: %q", got)
			}
			navigating(t, ctx, chromedp.Click(`a.button.primary`, chromedp.ByQuery))
			submitForm(t, ctx, map[string]string{"#name": "nightly agent"}, "main button[type=submit]")
			var key string
			var readonly bool
			run(t, ctx, chromedp.Value("#new-key", &key, chromedp.ByQuery),
				chromedp.Evaluate(`document.getElementById("new-key").readOnly`, &readonly))
			if !strings.HasPrefix(key, "tsk_") || !readonly {
				t.Fatalf("new key field: %q readonly=%v", key, readonly)
			}
			var copyHidden bool
			run(t, ctx, chromedp.Evaluate(`document.querySelector("button[data-copy]").hidden`, &copyHidden))
			if copyHidden == js {
				t.Fatalf("copy button hidden=%v with javascript=%v", copyHidden, js)
			}
			if js {
				// A click in the field selects the whole key.
				var selected string
				run(t, ctx, chromedp.Click("#new-key", chromedp.ByQuery), chromedp.Evaluate(
					`(function(i){return i.value.substring(i.selectionStart, i.selectionEnd)})(document.getElementById("new-key"))`, &selected))
				if selected != key {
					t.Fatalf("a click selected %q", selected)
				}
			}
			if r := u.Env.Do(t, key, "", `query { auth_info { tenant_id } }`, nil); len(r.Errors) != 0 {
				t.Fatalf("the new key is refused: %+v", r)
			}

			navigating(t, ctx, chromedp.Click(`main a.button.primary`, chromedp.ByQuery)) // Done
			if got := textOf(t, ctx, "table.keys tbody"); !strings.Contains(got, "nightly agent") || strings.Contains(got, key) {
				t.Fatalf("list: %q", got)
			}
			var html string
			run(t, ctx, chromedp.OuterHTML("html", &html, chromedp.ByQuery))
			if strings.Contains(html, key) {
				t.Fatal("the list page holds the key")
			}
			navigating(t, ctx, chromedp.Click(`table.keys tbody tr:first-child td.actions a`, chromedp.ByQuery))
			if got := textOf(t, ctx, "h1"); !strings.Contains(got, "nightly agent") {
				t.Fatalf("confirmation: %q", got)
			}
			navigating(t, ctx, chromedp.Click("button.danger", chromedp.ByQuery))
			if got := textOf(t, ctx, ".flash"); !strings.Contains(got, "API key revoked") {
				t.Fatalf("revoke flash: %q", got)
			}
			if r := u.Env.Do(t, key, "", `query { auth_info { tenant_id } }`, nil); r.Code() != localapi.CodeUnauthenticated {
				t.Fatalf("the revoked key: %+v", r)
			}
		})
	}
}

// TestBrowserAPIKeyScreenshots writes the key pages at 1280 and 390 px,
// light and dark, beside the others (see TestBrowserScreenshots).
func TestBrowserAPIKeyScreenshots(t *testing.T) {
	tab := startBrowser(t)
	u := uitest.Start(t)
	base := u.URL
	dir := os.Getenv("TEAMSECRETS_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "testoutput", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	u.Env.Member(t, "default", localapi.RoleUser, "bob")
	for _, k := range []struct {
		name, user string
		o          localapi.KeyOptions
	}{
		{"nightly agent", "", localapi.KeyOptions{Name: "nightly agent"}},
		{"bob's laptop", "bob", localapi.KeyOptions{Name: "bob's laptop"}},
	} {
		if _, _, err := u.Env.Store.CreateKeyWith(t.Context(), "default", localapi.RoleUser, k.user, k.o); err != nil {
			t.Fatal(err)
		}
	}
	ctx := tab(t, true)
	signIn(t, ctx, base, u.Env.AdminKey)
	// Use the admin's key once, so a "last used" shows.
	u.Env.Do(t, u.Env.AdminKey, "", `query { auth_info { tenant_id } }`, nil)

	shoot := func(name string, load func(ctx context.Context) error) {
		for _, width := range []int64{1280, 390} {
			for _, scheme := range []string{"light", "dark"} {
				var png []byte
				var overflow bool
				run(t, ctx,
					emulation.SetDeviceMetricsOverride(width, 844, 1, width < 500),
					emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}),
					chromedp.ActionFunc(load), chromedp.WaitVisible("h1", chromedp.ByQuery),
					chromedp.FullScreenshot(&png, 100),
					chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow))
				if len(png) < 1000 {
					t.Fatalf("%s: empty screenshot", name)
				}
				if overflow {
					t.Errorf("%s at %d px scrolls sideways", name, width)
				}
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d-%s.png", name, width, scheme)), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	open := func(path string) func(ctx context.Context) error {
		return func(ctx context.Context) error { return chromedp.Navigate(base + path).Do(ctx) }
	}
	shoot("keys-list", open("/teams/default/keys"))
	shoot("keys-new", open("/teams/default/keys/new"))
	shoot("keys-new-error", func(ctx context.Context) error {
		if err := chromedp.Navigate(base + "/teams/default/keys/new").Do(ctx); err != nil {
			return err
		}
		return submitted(ctx, `document.getElementById("name").removeAttribute("required")`)
	})
	shoot("keys-created", func(ctx context.Context) error {
		if err := chromedp.Navigate(base + "/teams/default/keys/new").Do(ctx); err != nil {
			return err
		}
		if err := chromedp.SendKeys("#name", "ci runner", chromedp.ByQuery).Do(ctx); err != nil {
			return err
		}
		return submitted(ctx, ``)
	})
	var revoke string
	run(t, ctx, chromedp.Navigate(base+"/teams/default/keys"), chromedp.WaitVisible("table.keys", chromedp.ByQuery),
		chromedp.AttributeValue(`table.keys tbody tr:first-child td.actions a`, "href", &revoke, nil, chromedp.ByQuery))
	shoot("keys-revoke", open(revoke))
	t.Logf("screenshots in %s", dir)
}

// submitted runs script, submits the page's form and waits for the answer
// to load (as navigating does, inside an action).
func submitted(ctx context.Context, script string) error {
	if err := chromedp.Evaluate(script+`; window.__stale = true; document.querySelector("main form").submit()`, nil).Do(ctx); err != nil {
		return err
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var ready bool
		if err := chromedp.Evaluate(`!window.__stale && document.readyState === "complete"`, &ready).Do(ctx); err == nil && ready {
			return nil
		}
	}
	return fmt.Errorf("the form's answer did not load")
}
