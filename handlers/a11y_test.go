package handlers_test

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

// Every page has one h1, one main, a language, and every form control an
// accessible name; aria-describedby points at elements that exist.
func TestPagesAreAccessible(t *testing.T) {
	u := uitest.Start(t)
	pages := map[string]uitest.Page{"login": u.Get("/login"), "login error": u.Post("/login", url.Values{"key": {"bad"}})}
	u.Login(u.Env.AdminKey)
	pages["list empty"] = u.Get("/teams/default/secrets")
	u.AddSecret("default", "A_SECRET", "v", "text")
	pages["list"] = u.Get("/teams/default/secrets")
	pages["list no match"] = u.Get("/teams/default/secrets?q=zzz")
	pages["add"] = u.Get("/teams/default/secrets/new")
	pages["add errors"] = u.Post("/teams/default/secrets", url.Values{"name": {"1x"}, "value": {"{"}, "type": {"json"}})
	pages["add conflict"] = u.Post("/teams/default/secrets", url.Values{"name": {"A_SECRET"}, "value": {"v"}})
	pages["rotate"] = u.Get("/teams/default/secrets/A_SECRET/rotate")
	pages["rotate errors"] = u.Post("/teams/default/secrets/A_SECRET/rotate", url.Values{"value": {""}, "new_name": {"bad name"}})
	pages["delete"] = u.Get("/teams/default/secrets/A_SECRET/delete")
	pages["history"] = u.Get("/teams/default/history")
	pages["not found"] = u.Get("/teams/default/secrets/NOPE/delete")
	pages["all teams"] = u.Get("/teams")
	ro := u.Browser()
	u.Env.Member(t, "default", localapi.RoleReadOnlyUser, "reader")
	ro.Login(u.Env.Key(t, "default", localapi.RoleReadOnlyUser, "reader"))
	pages["read-only list"] = ro.Get("/teams/default/secrets")
	pages["read-only refusal"] = ro.Get("/teams/default/secrets/new")

	for name, p := range pages {
		t.Run(name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader(p.Body))
			if err != nil {
				t.Fatal(err)
			}
			checkAccessible(t, doc)
		})
	}
}

func checkAccessible(t *testing.T, doc *html.Node) {
	t.Helper()
	ids := map[string]*html.Node{}
	labelFor := map[string]bool{}
	var h1, mains int
	var controls []*html.Node
	var lang string
	var walk func(n *html.Node, inLabel bool)
	walk = func(n *html.Node, inLabel bool) {
		if n.Type == html.ElementNode {
			if id := attr(n, "id"); id != "" {
				if ids[id] != nil {
					t.Errorf("duplicate id %q", id)
				}
				ids[id] = n
			}
			switch n.Data {
			case "html":
				lang = attr(n, "lang")
			case "h1":
				h1++
			case "main":
				mains++
			case "label":
				if f := attr(n, "for"); f != "" {
					labelFor[f] = true
				}
				inLabel = true
			case "input", "select", "textarea":
				if attr(n, "type") != "hidden" {
					if inLabel {
						n.Attr = append(n.Attr, html.Attribute{Key: "data-wrapped"})
					}
					controls = append(controls, n)
				}
			case "button", "a":
				if strings.TrimSpace(textContent(n)) == "" && attr(n, "aria-label") == "" {
					t.Errorf("<%s> without an accessible name", n.Data)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inLabel)
		}
	}
	walk(doc, false)
	if lang == "" {
		t.Error("no lang on <html>")
	}
	if h1 != 1 || mains != 1 {
		t.Errorf("%d h1 and %d main, want one each", h1, mains)
	}
	for _, c := range controls {
		id := attr(c, "id")
		named := labelFor[id] && id != "" || hasAttr(c, "data-wrapped") || attr(c, "aria-label") != "" || attr(c, "aria-labelledby") != ""
		if !named {
			t.Errorf("<%s name=%q> has no accessible name", c.Data, attr(c, "name"))
		}
		for _, ref := range strings.Fields(attr(c, "aria-describedby")) {
			if ids[ref] == nil {
				t.Errorf("<%s name=%q> aria-describedby %q points nowhere", c.Data, attr(c, "name"), ref)
			}
		}
		if attr(c, "aria-invalid") == "true" && !strings.Contains(attr(c, "aria-describedby"), "error") {
			t.Errorf("<%s name=%q> is invalid but its error is not tied to it", c.Data, attr(c, "name"))
		}
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func textContent(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textContent(c))
	}
	return b.String()
}

// The stylesheet's colour pairs meet WCAG AA (4.5:1 for text) in the light
// and the dark scheme.
func TestColourContrastMeetsWCAGAA(t *testing.T) {
	css, err := os.ReadFile("../static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	s := string(css)
	darkAt := strings.Index(s, "prefers-color-scheme: dark")
	light, dark := cssVars(s[:darkAt]), cssVars(s[darkAt:])
	pairs := [][2]string{
		{"--fg", "--bg"}, {"--muted", "--bg"}, {"--muted", "--soft"}, {"--fg", "--soft"}, {"--accent", "--bg"}, {"--accent", "--soft"},
		{"--accent-fg", "--accent"}, {"--danger", "--bg"}, {"--danger-fg", "--danger"}, {"--ok-fg", "--ok-bg"},
		{"--err-fg", "--err-bg"}, {"--info-fg", "--info-bg"}, {"--warn", "--bg"},
	}
	for scheme, vars := range map[string]map[string]string{"light": light, "dark": dark} {
		for _, p := range pairs {
			fg, bg := vars[p[0]], vars[p[1]]
			if fg == "" || bg == "" {
				t.Fatalf("%s: %s or %s not defined", scheme, p[0], p[1])
			}
			if r := contrast(fg, bg); r < 4.5 {
				t.Errorf("%s: %s on %s is %.2f:1, below 4.5:1", scheme, p[0], p[1], r)
			}
		}
	}
}

var varRE = regexp.MustCompile(`(--[a-z-]+):\s*(#[0-9a-fA-F]{6})`)

func cssVars(s string) map[string]string {
	vars := map[string]string{}
	for _, m := range varRE.FindAllStringSubmatch(s, -1) {
		if _, ok := vars[m[1]]; !ok {
			vars[m[1]] = m[2]
		}
	}
	return vars
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var rgb [3]float64
	for i := range 3 {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			rgb[i] = c / 12.92
		} else {
			rgb[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
}

// The list page with 100 secrets, with its stylesheet and script, transfers
// under 30 KB compressed.
func TestListPageWeightBudget(t *testing.T) {
	u := uitest.Start(t)
	team, _ := u.Env.Store.TenantBySlug(t.Context(), "default")
	for i := range 100 {
		u.Env.Store.PutSecret(t.Context(), team.ID, fmt.Sprintf("SERVICE_%03d_API_TOKEN", i), json.RawMessage(`"v"`))
	}
	u.Login(u.Env.AdminKey)
	// A client that asks for gzip and counts the bytes on the wire.
	raw := u.Browser()
	raw.Client.Transport = &http.Transport{DisableCompression: true}
	raw.Client.Jar = u.Client.Jar
	get := func(path string) (wire int, body string) {
		req, _ := http.NewRequest(http.MethodGet, u.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := raw.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s is not compressed", path)
		}
		zr, err := gzip.NewReader(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(bufio.NewReader(zr))
		return len(b), string(plain)
	}
	htmlSize, body := get("/teams/default/secrets?per_page=100")
	if n := len(rowNames(body)); n != 100 {
		t.Fatalf("%d rows", n)
	}
	total := htmlSize
	for _, asset := range regexp.MustCompile(`/static/[a-z]+\.[0-9a-f]+\.(css|js)`).FindAllString(body, -1) {
		n, _ := get(asset)
		total += n
	}
	t.Logf("list page with 100 secrets: %d B HTML + assets = %d B compressed", htmlSize, total)
	if total >= 30_000 {
		t.Fatalf("page weight %d B, budget 30 KB", total)
	}
}
