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

	"teamsecrets/localapi"
)

const importPath = "/teams/default/secrets/import"

// upload is a file in a multipart form.
type upload struct {
	filename, content string
}

// postImport submits the Import form as a browser does: multipart, with
// the CSRF token, the text field, the choices and maybe a file.
func (u *ui) postImport(path string, fields map[string]string, file *upload) page {
	u.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if _, ok := fields["_csrf"]; !ok {
		w.WriteField("_csrf", u.csrf())
	}
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if file != nil {
		fw, _ := w.CreateFormFile("file", file.filename)
		io.WriteString(fw, file.content)
	} else {
		// A browser sends an empty file part when no file was chosen.
		w.CreateFormFile("file", "")
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, u.srv.URL+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return u.do(u.client, req)
}

const importCanary = "CANARY-5e1f-import-VALUE"

// outcomeRows reads the result table: name -> outcome text.
func outcomeRows(t *testing.T, p page) map[string]string {
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
	u := startUI(t)
	u.login(u.env.AdminKey)
	u.addSecret("default", "EXISTING", "team value", "text")

	form := u.get(importPath)
	mustStatus(t, form, http.StatusOK)
	mustContain(t, form, `enctype="multipart/form-data"`, `name="_csrf"`, `type="file"`, `name="text"`, "Secrets that already exist")

	toml := "[context.secrets]\n" +
		"TEXT = \"" + importCanary + "\"\n" +
		"NUM = 42\nFLOAT = 1.5\nBOOL = true\nLIST = [1, \"two\"]\nWHEN = 2026-01-02T03:04:05Z\n" +
		"EXISTING = \"" + importCanary + "\"\n" +
		"\"bad name\" = \"" + importCanary + "\"\n" +
		"[context.secrets.TABLE]\nuser = \"app\"\npassword = \"" + importCanary + "\"\n"
	p := u.postImport(importPath, map[string]string{"text": toml, "existing": "skip"}, nil)
	mustStatus(t, p, http.StatusOK)
	mustContain(t, p, "Import results", "Imported into Default team: 7 added, 0 replaced, 1 skipped, 1 invalid, 0 failed.")
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
		if got, _ := u.value(u.env.AdminKey, "", name); got != value {
			t.Errorf("%s stored as %s, want %s", name, got, value)
		}
	}

	// .env text, replacing what exists; CRLF line breaks as browsers send.
	env := "# from .env\r\nexport EXISTING=\"" + importCanary + " replaced\"\r\nNEW_ONE='a $b'\r\nPASSWORD=pa$SWORD\r\n"
	p = u.postImport(importPath, map[string]string{"text": env, "existing": "replace", "format": "dotenv"}, nil)
	mustStatus(t, p, http.StatusOK)
	rows = outcomeRows(t, p)
	if rows["EXISTING"] != "replaced" || rows["NEW_ONE"] != "added" || !strings.HasPrefix(rows["PASSWORD"], "invalid (the value has $NAME") {
		t.Fatalf("rows %v", rows)
	}
	if got, _ := u.value(u.env.AdminKey, "", "EXISTING"); got != `"`+importCanary+` replaced"` {
		t.Fatalf("EXISTING = %s", got)
	}
	if got, _ := u.value(u.env.AdminKey, "", "NEW_ONE"); got != `"a $b"` {
		t.Fatalf("NEW_ONE = %s", got)
	}
	if strings.Contains(p.Body, importCanary) {
		t.Fatal("the result page holds a value")
	}
}

func TestImportPageUploadsAFile(t *testing.T) {
	u := startUI(t)
	u.login(u.env.AdminKey)
	p := u.postImport(importPath, map[string]string{"existing": "skip"}, &upload{"prod.env", "A=" + importCanary + "\nB=2\n"})
	mustStatus(t, p, http.StatusOK)
	mustContain(t, p, "Each name in prod.env", "2 added")
	if got, _ := u.value(u.env.AdminKey, "", "A"); got != `"`+importCanary+`"` {
		t.Fatalf("A = %s", got)
	}
	// A config.toml is detected by its name, whatever the format choice says.
	p = u.postImport(importPath, nil, &upload{"config.toml", "[context.secrets]\nC = 3\n"})
	mustStatus(t, p, http.StatusOK)
	if rows := outcomeRows(t, p); rows["C"] != "added" {
		t.Fatalf("rows %v", rows)
	}
	if got, _ := u.value(u.env.AdminKey, "", "C"); got != "3" {
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
	u := startUI(t)
	u.login(u.env.AdminKey)
	cases := []struct {
		name   string
		fields map[string]string
		file   *upload
		want   string
	}{
		{"nothing", map[string]string{"text": "  "}, nil, "Choose a file or paste the text to import."},
		{"both", map[string]string{"text": "A=" + importCanary}, &upload{"a.env", "B=1"}, "Choose a file or paste the text, not both."},
		{"broken TOML", map[string]string{"text": "[context.secrets]\nA = \"" + importCanary + "\nB = 2\n"}, nil, "not valid TOML at line 2"},
		{"broken .env", map[string]string{"text": "A=1\nB=\"" + importCanary + "\n"}, nil, "not valid .env at line 2: a quoted value has no closing quote"},
		{"a pasted value alone", map[string]string{"text": importCanary + "\n"}, nil, "each line needs KEY=value"},
		{"TOML without secrets", map[string]string{"text": "[cloud]\napi = \"x\"\n"}, nil, "the TOML has no [context.secrets] table"},
		{"only comments", map[string]string{"text": "# nothing here\n"}, nil, "There are no secrets in it"},
		{"too many", map[string]string{"text": "A=" + importCanary + "\n" + manyNames(5001)}, nil, "It holds 5002 secrets; one import takes at most 5000."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := u.postImport(importPath, tc.fields, tc.file)
			mustStatus(t, p, http.StatusUnprocessableEntity)
			mustContain(t, p, tc.want, "Nothing was imported.", `<textarea`)
			if strings.Contains(p.Body, importCanary) {
				t.Fatal("the page holds the submitted text")
			}
		})
	}
	if names := u.names(u.env.AdminKey); len(names) != 0 {
		t.Fatalf("imported anyway: %v", names)
	}
	// The choices are kept.
	p := u.postImport(importPath, map[string]string{"existing": "replace", "format": "dotenv"}, nil)
	mustContain(t, p, `value="replace" checked`, `value="dotenv" checked`)
}

func TestImportPageOverTheLimitGets413Page(t *testing.T) {
	u := startUI(t)
	u.login(u.env.AdminKey)
	big := "A=" + strings.Repeat("x", 1<<20) + "\n"
	for name, do := range map[string]func() page{
		"upload": func() page { return u.postImport(importPath, nil, &upload{"big.env", big}) },
		"paste":  func() page { return u.postImport(importPath, map[string]string{"text": big}, nil) },
		"no content length": func() page {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			w.WriteField("_csrf", u.csrf())
			w.WriteField("text", big)
			w.Close()
			req, _ := http.NewRequest(http.MethodPost, u.srv.URL+importPath, io.MultiReader(&body)) // unknown length: chunked
			req.Header.Set("Content-Type", w.FormDataContentType())
			return u.do(u.client, req)
		},
		"file over 1 MiB in a body within the limit": func() page {
			return u.postImport(importPath, nil, &upload{"big.env", big[:1<<20+1]})
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := do()
			mustStatus(t, p, http.StatusRequestEntityTooLarge)
			mustContain(t, p, "Too large to import", "at most 1 MiB", "Nothing was imported.", `href="/teams/default/secrets/import"`)
		})
	}
	if names := u.names(u.env.AdminKey); len(names) != 0 {
		t.Fatalf("imported anyway: %v", names)
	}
	// Just under the limit is fine.
	p := u.postImport(importPath, nil, &upload{"ok.env", "A=" + strings.Repeat("x", 60<<10) + "\n"})
	mustStatus(t, p, http.StatusOK)
}

func TestImportPageIsForWritersOnly(t *testing.T) {
	u := startUI(t)
	u.login(u.env.AdminKey)
	mustContain(t, u.get("/teams/default/secrets"), `href="/teams/default/secrets/import"`)

	ro := u.browser()
	u.env.Member(t, "default", localapi.RoleReadOnlyUser, "reader")
	ro.login(u.env.Key(t, "default", localapi.RoleReadOnlyUser, "reader"))
	if p := ro.get("/teams/default/secrets"); strings.Contains(p.Body, "/secrets/import") {
		t.Fatal("a read-only member sees the Import link")
	}
	mustStatus(t, ro.get(importPath), http.StatusForbidden)
	p := ro.postImport(importPath, map[string]string{"text": "A=1"}, nil)
	mustStatus(t, p, http.StatusForbidden)
	if len(u.names(u.env.AdminKey)) != 0 {
		t.Fatal("a read-only member imported")
	}
	// Signed out: to sign-in.
	anon := u.browser()
	if p := anon.get(importPath); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
		t.Fatalf("signed out: %d %s", p.Status, p.location())
	}
}

func TestImportPageRefusesCrossSiteAndTokenlessPosts(t *testing.T) {
	u := startUI(t)
	u.login(u.env.AdminKey)
	mustStatus(t, u.postImport(importPath, map[string]string{"_csrf": "forged-token-0123456789", "text": "A=1"}, nil), http.StatusForbidden)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", u.csrf())
	w.WriteField("text", "A=1")
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, u.srv.URL+importPath, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	mustStatus(t, u.do(u.client, req), http.StatusForbidden)
	if len(u.names(u.env.AdminKey)) != 0 {
		t.Fatal("imported anyway")
	}
	// Headers as on every page.
	for _, p := range []page{u.get(importPath), u.postImport(importPath, map[string]string{"text": "A=1"}, nil)} {
		if !strings.Contains(p.Header.Get("Content-Security-Policy"), "default-src 'none'") ||
			p.Header.Get("X-Content-Type-Options") != "nosniff" || p.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("headers %v", p.Header)
		}
	}
}

func TestImportPageWhenTheAPIFails(t *testing.T) {
	u := startUI(t)
	u.login(u.env.AdminKey)
	// The names cannot be listed: nothing is written, the API error page.
	u.proxy.set(failOp("ListSecretNames", 502, "bad gateway"))
	p := u.postImport(importPath, map[string]string{"text": "A=" + importCanary}, nil)
	u.proxy.set(nil)
	mustStatus(t, p, http.StatusBadGateway)
	mustContain(t, p, "The secrets API is unavailable")
	// The writes fail: each name says so, the status says the API failed.
	u.proxy.set(failOp("SetSecrets", 500, `{"errors":[{"message":"boom"}]}`))
	p = u.postImport(importPath, map[string]string{"text": "A=" + importCanary + "\nB=2\n"}, nil)
	u.proxy.set(nil)
	mustStatus(t, p, http.StatusBadGateway)
	mustContain(t, p, "0 added, 0 replaced, 0 skipped, 0 invalid, 2 failed", "Some secrets were not saved")
	if rows := outcomeRows(t, p); rows["A"] != "failed (The secrets API failed (HTTP 500 Internal Server Error).)" {
		t.Fatalf("rows %v", rows)
	}
	if strings.Contains(p.Body, importCanary) || strings.Contains(u.logs.String(), importCanary) {
		t.Fatal("a value leaked")
	}
	if !strings.Contains(u.logs.String(), "import writes failed") {
		t.Fatal("the failure was not logged")
	}
}

// "import" is a secret name like any other: its own pages still work.
func TestSecretNamedImportKeepsItsPages(t *testing.T) {
	u := startUI(t)
	u.login(u.env.AdminKey)
	u.addSecret("default", "import", "v", "text")
	mustStatus(t, u.get("/teams/default/secrets/import/rotate"), http.StatusOK)
	p := u.post("/teams/default/secrets/import/rotate", url.Values{"value": {"w"}})
	mustStatus(t, p, http.StatusSeeOther)
	mustStatus(t, u.get("/teams/default/secrets/import/delete"), http.StatusOK)
	mustStatus(t, u.post("/teams/default/secrets/import/delete", nil), http.StatusSeeOther)
	mustStatus(t, u.get(importPath), http.StatusOK)
}

func TestImportPagesAreAccessible(t *testing.T) {
	u := startUI(t)
	u.login(u.env.AdminKey)
	pages := map[string]page{
		"form":      u.get(importPath),
		"error":     u.postImport(importPath, map[string]string{"text": " "}, nil),
		"results":   u.postImport(importPath, map[string]string{"text": "A=1\n1B=2\n"}, nil),
		"too large": u.postImport(importPath, map[string]string{"text": strings.Repeat("x", 2<<20)}, nil),
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
	u := startUI(t)
	u.login(u.env.AdminKey)
	u.addSecret("default", "EXISTS", "x", "text")
	steps := map[string]func() page{
		"form": func() page { return u.get(importPath) },
		"paste toml": func() page {
			return u.postImport(importPath, map[string]string{"text": "[context.secrets]\nA = \"" + importCanary + "\"\n"}, nil)
		},
		"paste env": func() page {
			return u.postImport(importPath, map[string]string{"text": "B=" + importCanary + "\nEXISTS=" + importCanary}, nil)
		},
		"upload": func() page { return u.postImport(importPath, nil, &upload{"x.env", "C=" + importCanary}) },
		"invalid names": func() page {
			return u.postImport(importPath, map[string]string{"text": "1D=" + importCanary + "\nE=$" + importCanary}, nil)
		},
		"broken":      func() page { return u.postImport(importPath, map[string]string{"text": "F=\"" + importCanary}, nil) },
		"value alone": func() page { return u.postImport(importPath, map[string]string{"text": importCanary + "\n"}, nil) },
		"too large": func() page {
			return u.postImport(importPath, map[string]string{"text": strings.Repeat(importCanary, 60000)}, nil)
		},
		"api fails": func() page {
			u.proxy.set(failOp("SetSecrets", 503, ""))
			defer u.proxy.set(nil)
			return u.postImport(importPath, map[string]string{"text": "G=" + importCanary}, nil)
		},
		"list": func() page { return u.get("/teams/default/secrets") },
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
	if v, ok := u.value(u.env.AdminKey, "", "A"); !ok || !strings.Contains(v, importCanary) {
		t.Fatal("the canary was not imported, so the test proves nothing")
	}
	logs := u.logs.String()
	if !strings.Contains(logs, "/secrets/import") {
		t.Fatal("no request logs captured")
	}
	if strings.Contains(logs, importCanary) || strings.Contains(logs, u.env.AdminKey) {
		t.Fatal("the log holds a value or the key")
	}
}
