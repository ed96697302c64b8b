package handlers_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"teamsecrets/handlers/uitest"
	"teamsecrets/localapi"
)

const importPath = "/teams/default/secrets/import"

const importCanary = "CANARY-5e1f-import-VALUE"

// outcomeRows reads the result table: name -> outcome text.
func outcomeRows(t *testing.T, p uitest.Page) map[string]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(p.Body))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" {
			var th, td string
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && c.Data == "th" && attr(c, "scope") == "row" {
					th = strings.TrimSpace(textContent(c))
				}
				if c.Type == html.ElementNode && c.Data == "td" {
					td = strings.Join(strings.Fields(textContent(c)), " ")
				}
			}
			if th != "" {
				rows[th] = td
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return rows
}

func TestImportPagePastesConfigTOMLAndDotEnv(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "EXISTING", "team value", "text")

	form := u.Get(importPath)
	uitest.MustStatus(t, form, http.StatusOK)
	uitest.MustContain(t, form, `enctype="multipart/form-data"`, `name="_csrf"`, `type="file"`, `name="text"`, "Secrets that already exist")

	toml := "[context.secrets]\n" +
		"TEXT = \"" + importCanary + "\"\n" +
		"NUM = 42\nFLOAT = 1.5\nBOOL = true\nLIST = [1, \"two\"]\nWHEN = 2026-01-02T03:04:05Z\n" +
		"EXISTING = \"" + importCanary + "\"\n" +
		"\"bad name\" = \"" + importCanary + "\"\n" +
		"[context.secrets.TABLE]\nuser = \"app\"\npassword = \"" + importCanary + "\"\n"
	p := u.PostUpload(importPath, map[string]string{"text": toml, "existing": "skip"}, nil)
	uitest.MustStatus(t, p, http.StatusOK)
	uitest.MustContain(t, p, "Import results", "Imported into Default team: 7 added, 0 replaced, 1 skipped, 1 invalid, 0 failed.")
	rows := outcomeRows(t, p)
	want := map[string]string{
		"TEXT": "added", "NUM": "added", "FLOAT": "added", "BOOL": "added", "LIST": "added", "WHEN": "added", "TABLE": "added",
		"EXISTING": "skipped (exists)", "bad name": "invalid (name may contain only letters, digits, '_', '-' and '.')",
	}
	for name, outcome := range want {
		if rows[name] != outcome {
			t.Errorf("%s: %q, want %q", name, rows[name], outcome)
		}
	}
	if strings.Contains(p.Body, importCanary) {
		t.Fatal("the result page holds a value")
	}
	for name, value := range map[string]string{
		"TEXT": `"` + importCanary + `"`, "NUM": "42", "FLOAT": "1.5", "BOOL": "true", "LIST": `[1,"two"]`,
		"WHEN": `"2026-01-02T03:04:05Z"`, "TABLE": `{"password":"` + importCanary + `","user":"app"}`, "EXISTING": `"team value"`,
	} {
		if got, _ := u.Value(u.Env.AdminKey, "", name); got != value {
			t.Errorf("%s stored as %s, want %s", name, got, value)
		}
	}

	// .env text, replacing what exists; CRLF line breaks as browsers send.
	env := "# from .env\r\nexport EXISTING=\"" + importCanary + " replaced\"\r\nNEW_ONE='a $b'\r\nPASSWORD=pa$SWORD\r\n"
	p = u.PostUpload(importPath, map[string]string{"text": env, "existing": "replace", "format": "dotenv"}, nil)
	uitest.MustStatus(t, p, http.StatusOK)
	rows = outcomeRows(t, p)
	if rows["EXISTING"] != "replaced" || rows["NEW_ONE"] != "added" || !strings.HasPrefix(rows["PASSWORD"], "invalid (the value has $NAME") {
		t.Fatalf("rows %v", rows)
	}
	if got, _ := u.Value(u.Env.AdminKey, "", "EXISTING"); got != `"`+importCanary+` replaced"` {
		t.Fatalf("EXISTING = %s", got)
	}
	if got, _ := u.Value(u.Env.AdminKey, "", "NEW_ONE"); got != `"a $b"` {
		t.Fatalf("NEW_ONE = %s", got)
	}
	if strings.Contains(p.Body, importCanary) {
		t.Fatal("the result page holds a value")
	}
}

func TestImportPageUploadsAFile(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	p := u.PostUpload(importPath, map[string]string{"existing": "skip"}, &uitest.Upload{Filename: "prod.env", Content: "A=" + importCanary + "\nB=2\n"})
	uitest.MustStatus(t, p, http.StatusOK)
	uitest.MustContain(t, p, "Each name in prod.env", "2 added")
	if got, _ := u.Value(u.Env.AdminKey, "", "A"); got != `"`+importCanary+`"` {
		t.Fatalf("A = %s", got)
	}
	// A config.toml is detected by its name, whatever the format choice says.
	p = u.PostUpload(importPath, nil, &uitest.Upload{Filename: "config.toml", Content: "[context.secrets]\nC = 3\n"})
	uitest.MustStatus(t, p, http.StatusOK)
	if rows := outcomeRows(t, p); rows["C"] != "added" {
		t.Fatalf("rows %v", rows)
	}
	if got, _ := u.Value(u.Env.AdminKey, "", "C"); got != "3" {
		t.Fatalf("C = %s", got)
	}
}

func manyNames(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "N%d=x\n", i)
	}
	return b.String()
}

// A failed submission shows the form again with what went wrong, the text
// and file never sent back.
func TestImportPageRejectsBadInputAndKeepsNothing(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	cases := []struct {
		name   string
		fields map[string]string
		file   *uitest.Upload
		want   string
	}{
		{"nothing", map[string]string{"text": "  "}, nil, "Choose a file or paste the text to import."},
		{"both", map[string]string{"text": "A=" + importCanary}, &uitest.Upload{Filename: "a.env", Content: "B=1"}, "Choose a file or paste the text, not both."},
		{"broken TOML", map[string]string{"text": "[context.secrets]\nA = \"" + importCanary + "\nB = 2\n"}, nil, "not valid TOML at line 2"},
		{"broken .env", map[string]string{"text": "A=1\nB=\"" + importCanary + "\n"}, nil, "not valid .env at line 2: a quoted value has no closing quote"},
		{"a pasted value alone", map[string]string{"text": importCanary + "\n"}, nil, "each line needs KEY=value"},
		{"TOML without secrets", map[string]string{"text": "[cloud]\napi = \"x\"\n"}, nil, "the TOML has no [context.secrets] table"},
		{"only comments", map[string]string{"text": "# nothing here\n"}, nil, "There are no secrets in it"},
		{"too many", map[string]string{"text": "A=" + importCanary + "\n" + manyNames(5001)}, nil, "It holds 5002 secrets; one import takes at most 5000."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := u.PostUpload(importPath, tc.fields, tc.file)
			uitest.MustStatus(t, p, http.StatusUnprocessableEntity)
			uitest.MustContain(t, p, tc.want, "Nothing was imported.", `<textarea`)
			if strings.Contains(p.Body, importCanary) {
				t.Fatal("the page holds the submitted text")
			}
		})
	}
	if names := u.Names(u.Env.AdminKey); len(names) != 0 {
		t.Fatalf("imported anyway: %v", names)
	}
	// The choices are kept.
	p := u.PostUpload(importPath, map[string]string{"existing": "replace", "format": "dotenv"}, nil)
	uitest.MustContain(t, p, `value="replace" checked`, `value="dotenv" checked`)
}

func TestImportPageOverTheLimitGets413Page(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	big := "A=" + strings.Repeat("x", 1<<20) + "\n"
	for name, do := range map[string]func() uitest.Page{
		"upload": func() uitest.Page {
			return u.PostUpload(importPath, nil, &uitest.Upload{Filename: "big.env", Content: big})
		},
		"paste": func() uitest.Page { return u.PostUpload(importPath, map[string]string{"text": big}, nil) },
		"no content length": func() uitest.Page {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			w.WriteField("_csrf", u.CSRF())
			w.WriteField("text", big)
			w.Close()
			req, _ := http.NewRequest(http.MethodPost, u.URL+importPath, io.MultiReader(&body)) // unknown length: chunked
			req.Header.Set("Content-Type", w.FormDataContentType())
			return u.Do(u.Client, req)
		},
		"file over 1 MiB in a body within the limit": func() uitest.Page {
			return u.PostUpload(importPath, nil, &uitest.Upload{Filename: "big.env", Content: big[:1<<20+1]})
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := do()
			uitest.MustStatus(t, p, http.StatusRequestEntityTooLarge)
			uitest.MustContain(t, p, "Too large to import", "at most 1 MiB", "Nothing was imported.", `href="/teams/default/secrets/import"`)
		})
	}
	if names := u.Names(u.Env.AdminKey); len(names) != 0 {
		t.Fatalf("imported anyway: %v", names)
	}
	// Just under the limit is fine.
	p := u.PostUpload(importPath, nil, &uitest.Upload{Filename: "ok.env", Content: "A=" + strings.Repeat("x", 60<<10) + "\n"})
	uitest.MustStatus(t, p, http.StatusOK)
}

func TestImportPageIsForWritersOnly(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	uitest.MustContain(t, u.Get("/teams/default/secrets"), `href="/teams/default/secrets/import"`)

	ro := u.Browser()
	u.Env.Member(t, "default", localapi.RoleReadOnlyUser, "reader")
	ro.Login(u.Env.Key(t, "default", localapi.RoleReadOnlyUser, "reader"))
	if p := ro.Get("/teams/default/secrets"); strings.Contains(p.Body, "/secrets/import") {
		t.Fatal("a read-only member sees the Import link")
	}
	uitest.MustStatus(t, ro.Get(importPath), http.StatusForbidden)
	p := ro.PostUpload(importPath, map[string]string{"text": "A=1"}, nil)
	uitest.MustStatus(t, p, http.StatusForbidden)
	if len(u.Names(u.Env.AdminKey)) != 0 {
		t.Fatal("a read-only member imported")
	}
	// Signed out: to sign-in.
	anon := u.Browser()
	if p := anon.Get(importPath); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/login") {
		t.Fatalf("signed out: %d %s", p.Status, p.Location())
	}
}

func TestImportPageRefusesCrossSiteAndTokenlessPosts(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	uitest.MustStatus(t, u.PostUpload(importPath, map[string]string{"_csrf": "forged-token-0123456789", "text": "A=1"}, nil), http.StatusForbidden)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", u.CSRF())
	w.WriteField("text", "A=1")
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, u.URL+importPath, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	uitest.MustStatus(t, u.Do(u.Client, req), http.StatusForbidden)
	if len(u.Names(u.Env.AdminKey)) != 0 {
		t.Fatal("imported anyway")
	}
	// Headers as on every page.
	for _, p := range []uitest.Page{u.Get(importPath), u.PostUpload(importPath, map[string]string{"text": "A=1"}, nil)} {
		if !strings.Contains(p.Header.Get("Content-Security-Policy"), "default-src 'none'") ||
			p.Header.Get("X-Content-Type-Options") != "nosniff" || p.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("headers %v", p.Header)
		}
	}
}

func TestImportPageWhenTheAPIFails(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	// The names cannot be listed: nothing is written, the API error page.
	u.Proxy.Set(uitest.FailOp("ListSecretNames", 502, "bad gateway"))
	p := u.PostUpload(importPath, map[string]string{"text": "A=" + importCanary}, nil)
	u.Proxy.Set(nil)
	uitest.MustStatus(t, p, http.StatusBadGateway)
	uitest.MustContain(t, p, "The secrets API is unavailable")
	// The writes fail: each name says so, the status says the API failed.
	u.Proxy.Set(uitest.FailOp("SetSecrets", 500, `{"errors":[{"message":"boom"}]}`))
	p = u.PostUpload(importPath, map[string]string{"text": "A=" + importCanary + "\nB=2\n"}, nil)
	u.Proxy.Set(nil)
	uitest.MustStatus(t, p, http.StatusBadGateway)
	uitest.MustContain(t, p, "0 added, 0 replaced, 0 skipped, 0 invalid, 2 failed", "Some secrets were not saved")
	if rows := outcomeRows(t, p); rows["A"] != "failed (The secrets API failed (HTTP 500 Internal Server Error).)" {
		t.Fatalf("rows %v", rows)
	}
	if strings.Contains(p.Body, importCanary) || strings.Contains(u.Logs.String(), importCanary) {
		t.Fatal("a value leaked")
	}
	if !strings.Contains(u.Logs.String(), "import writes failed") {
		t.Fatal("the failure was not logged")
	}
}

// "import" is a secret name like any other: its own pages still work.
func TestSecretNamedImportKeepsItsPages(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "import", "v", "text")
	uitest.MustStatus(t, u.Get("/teams/default/secrets/import/rotate"), http.StatusOK)
	p := u.Post("/teams/default/secrets/import/rotate", url.Values{"value": {"w"}})
	uitest.MustStatus(t, p, http.StatusSeeOther)
	uitest.MustStatus(t, u.Get("/teams/default/secrets/import/delete"), http.StatusOK)
	uitest.MustStatus(t, u.Post("/teams/default/secrets/import/delete", nil), http.StatusSeeOther)
	uitest.MustStatus(t, u.Get(importPath), http.StatusOK)
}

func TestImportPagesAreAccessible(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	pages := map[string]uitest.Page{
		"form":      u.Get(importPath),
		"error":     u.PostUpload(importPath, map[string]string{"text": " "}, nil),
		"results":   u.PostUpload(importPath, map[string]string{"text": "A=1\n1B=2\n"}, nil),
		"too large": u.PostUpload(importPath, map[string]string{"text": strings.Repeat("x", 2<<20)}, nil),
	}
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

// The canary: no value in any response or log line of the Import page,
// error paths included.
func TestImportCanaryNeverLeavesTheServer(t *testing.T) {
	u := uitest.Start(t)
	u.Login(u.Env.AdminKey)
	u.AddSecret("default", "EXISTS", "x", "text")
	steps := map[string]func() uitest.Page{
		"form": func() uitest.Page { return u.Get(importPath) },
		"paste toml": func() uitest.Page {
			return u.PostUpload(importPath, map[string]string{"text": "[context.secrets]\nA = \"" + importCanary + "\"\n"}, nil)
		},
		"paste env": func() uitest.Page {
			return u.PostUpload(importPath, map[string]string{"text": "B=" + importCanary + "\nEXISTS=" + importCanary}, nil)
		},
		"upload": func() uitest.Page {
			return u.PostUpload(importPath, nil, &uitest.Upload{Filename: "x.env", Content: "C=" + importCanary})
		},
		"invalid names": func() uitest.Page {
			return u.PostUpload(importPath, map[string]string{"text": "1D=" + importCanary + "\nE=$" + importCanary}, nil)
		},
		"broken": func() uitest.Page {
			return u.PostUpload(importPath, map[string]string{"text": "F=\"" + importCanary}, nil)
		},
		"value alone": func() uitest.Page {
			return u.PostUpload(importPath, map[string]string{"text": importCanary + "\n"}, nil)
		},
		"too large": func() uitest.Page {
			return u.PostUpload(importPath, map[string]string{"text": strings.Repeat(importCanary, 60000)}, nil)
		},
		"api fails": func() uitest.Page {
			u.Proxy.Set(uitest.FailOp("SetSecrets", 503, ""))
			defer u.Proxy.Set(nil)
			return u.PostUpload(importPath, map[string]string{"text": "G=" + importCanary}, nil)
		},
		"list": func() uitest.Page { return u.Get("/teams/default/secrets") },
	}
	for name, step := range steps {
		p := step()
		if strings.Contains(p.Body, importCanary) {
			t.Errorf("%s: the body holds the value", name)
		}
		for k, vs := range p.Header {
			for _, v := range vs {
				if strings.Contains(v, importCanary) {
					t.Errorf("%s: header %s holds the value", name, k)
				}
			}
		}
	}
	if v, ok := u.Value(u.Env.AdminKey, "", "A"); !ok || !strings.Contains(v, importCanary) {
		t.Fatal("the canary was not imported, so the test proves nothing")
	}
	logs := u.Logs.String()
	if !strings.Contains(logs, "/secrets/import") {
		t.Fatal("no request logs captured")
	}
	if strings.Contains(logs, importCanary) || strings.Contains(logs, u.Env.AdminKey) {
		t.Fatal("the log holds a value or the key")
	}
}
