package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"teamsecrets/localapi"
)

const importCanary = "CANARY-1mp0rt-VALUE"

// importRun runs `teamsecrets import ARGS` and returns its exit code and
// output (stdout and stderr together).
func importRun(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), append([]string{"import"}, args...), &out, &out)
	noCanary(t, "import's output", out.String())
	return code, out.String()
}

func (e *runEnv) value(t *testing.T, name string) string {
	t.Helper()
	v, err := e.api.Store.SecretValue(context.Background(), e.teamID, name)
	if err != nil {
		return "<missing>"
	}
	return string(v)
}

func (e *runEnv) file(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(e.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportConfigTOMLEveryType(t *testing.T) {
	e := startRunEnv(t)
	e.put(t, e.teamID, map[string]string{"EXISTING": `"team value"`})
	config := e.file(t, "config.toml", `
[cloud]
api = "http://localhost:4200/graphql"

[context.secrets]
TEXT = "`+importCanary+`"
INT = 42
FLOAT = 2.5
WHOLE_FLOAT = 3.0
BOOL = false
ARRAY = [1, "two", [3.5]]
WHEN = 1979-05-27T07:32:00Z
DAY = 1979-05-27
EXISTING = "`+importCanary+` from the file"
"bad name" = "`+importCanary+`"
NOT_A_NUMBER = nan

[context.secrets.TABLE]
user = "app"
password = "`+importCanary+`"
`)
	code, out := importRun(t, "--dry-run", config)
	if code != 0 || !strings.Contains(out, "would add     TEXT\n") || !strings.Contains(out, "skipped       EXISTING (exists)\n") ||
		!strings.Contains(out, "Dry run, nothing was changed in the key's team: 9 to add, 0 to replace, 1 skipped, 2 invalid.") {
		t.Fatalf("dry run: %d\n%s", code, out)
	}
	if e.value(t, "TEXT") != "<missing>" {
		t.Fatal("the dry run imported")
	}

	code, out = importRun(t, config)
	wantLines := []string{
		"added         ARRAY",
		"added         BOOL",
		"added         DAY",
		"skipped       EXISTING (exists)",
		"added         FLOAT",
		"added         INT",
		"invalid       NOT_A_NUMBER (TOML nan and inf have no JSON form)",
		"added         TABLE",
		"added         TEXT",
		"added         WHEN",
		"added         WHOLE_FLOAT",
		`invalid       "bad name" (name may contain only letters, digits, '_', '-' and '.')`,
		"Imported into the key's team: 9 added, 0 replaced, 1 skipped, 2 invalid, 0 failed.",
	}
	if code != 0 || strings.TrimSpace(out) != strings.Join(wantLines, "\n") {
		t.Fatalf("import: %d\n%s", code, out)
	}
	for name, want := range map[string]string{
		"TEXT": `"` + importCanary + `"`, "INT": "42", "FLOAT": "2.5", "WHOLE_FLOAT": "3.0", "BOOL": "false",
		"ARRAY": `[1,"two",[3.5]]`, "WHEN": `"1979-05-27T07:32:00Z"`, "DAY": `"1979-05-27"`,
		"TABLE": `{"password":"` + importCanary + `","user":"app"}`, "EXISTING": `"team value"`,
	} {
		if got := e.value(t, name); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}

	code, out = importRun(t, config, "--overwrite")
	if code != 0 || !strings.Contains(out, "replaced      EXISTING\n") || !strings.Contains(out, "0 added, 10 replaced, 0 skipped, 2 invalid, 0 failed") {
		t.Fatalf("--overwrite: %d\n%s", code, out)
	}
	if e.value(t, "EXISTING") != `"`+importCanary+` from the file"` {
		t.Fatal("not replaced")
	}
}

// .env files in their variants, several files (the last wins), and the
// text comes back unchanged through `run`.
func TestImportDotEnvThenRunGivesTheSameText(t *testing.T) {
	e := startRunEnv(t)
	first := e.file(t, "first.env", "SHARED=from first\nONLY_FIRST=1\n")
	second := e.file(t, ".env", "# comment\r\n"+
		"export EXPORTED=\""+importCanary+" with \\\"quotes\\\"\"\r\n"+
		"SINGLE='"+importCanary+" $NOT_EXPANDED'\n"+
		"MULTI=\"line one\nline two\"\n"+
		"PREFECT__CONTEXT__SECRETS__PREFIXED={\"a\": 1}\n"+
		"SHARED=from second # comment\n"+
		"EXPANDS=pa$SWORD\n"+
		"9BAD=x\n")
	code, out := importRun(t, first, second)
	wantLines := []string{
		"invalid       9BAD (name must start with a letter or an underscore)",
		"invalid       EXPANDS (the value has $NAME, ${NAME} or $$, which .env tools read each their own way: put it in single quotes to keep every '$' as written)",
		"added         EXPORTED",
		"added         MULTI",
		"added         ONLY_FIRST",
		"added         PREFIXED",
		"added         SHARED",
		"added         SINGLE",
		"Imported into the key's team: 6 added, 0 replaced, 0 skipped, 2 invalid, 0 failed.",
	}
	if code != 0 || strings.TrimSpace(out) != strings.Join(wantLines, "\n") {
		t.Fatalf("import: %d\n%s", code, out)
	}
	if e.value(t, "PREFIXED") != `"{\"a\": 1}"` || e.value(t, "ONLY_FIRST") != `"1"` {
		t.Fatalf("values are text: %s %s", e.value(t, "PREFIXED"), e.value(t, "ONLY_FIRST"))
	}
	r := e.runChild(t, 0)
	for name, text := range map[string]string{
		"EXPORTED": importCanary + ` with "quotes"`, "SINGLE": importCanary + " $NOT_EXPANDED", "MULTI": "line one\nline two",
		"PREFIXED": `{"a": 1}`, "SHARED": "from second", "ONLY_FIRST": "1",
	} {
		if got := r.child.Env["PREFECT__CONTEXT__SECRETS__"+name]; got != text {
			t.Errorf("%s came back as %q, want %q", name, got, text)
		}
	}
}

func TestImportFromEnvironment(t *testing.T) {
	e := startRunEnv(t)
	e.put(t, e.teamID, map[string]string{"EXISTING": `"team"`})
	t.Setenv("PREFECT__CONTEXT__SECRETS__FROM_ENV", importCanary)
	t.Setenv("PREFECT__context__secrets__MixedCase", "{\"n\": 1}")
	t.Setenv("PREFECT__CONTEXT__SECRETS__EXISTING", "local")
	t.Setenv("PREFECT__CONTEXT__SECRETS__NESTED__KEY", "x")
	code, out := importRun(t, "--from-env")
	if code != 0 || !strings.Contains(out, "added         FROM_ENV\n") || !strings.Contains(out, "added         MixedCase\n") ||
		!strings.Contains(out, "skipped       EXISTING (exists)\n") || !strings.Contains(out, "invalid       NESTED__KEY (Prefect reads '__'") {
		t.Fatalf("%d\n%s", code, out)
	}
	if e.value(t, "FROM_ENV") != `"`+importCanary+`"` || e.value(t, "EXISTING") != `"team"` {
		t.Fatal("values")
	}
	if code, out := importRun(t, "--from-env", "--overwrite"); code != 0 || !strings.Contains(out, "replaced      EXISTING\n") || e.value(t, "EXISTING") != `"local"` {
		t.Fatalf("--overwrite: %d\n%s", code, out)
	}
}

func TestImportFailuresAndBadInput(t *testing.T) {
	e := startRunEnv(t)
	good := e.file(t, "good.env", "A="+importCanary+"\nB=2\n")

	// A read-only key: every write fails, each says why; exit 1.
	t.Setenv(APIKeyEnv, e.api.Key(t, "default", localapi.RoleReadOnlyUser, ""))
	code, out := importRun(t, good)
	if code != 1 || !strings.Contains(out, "failed        A (This key may not do that in this team.)") || !strings.Contains(out, "0 added, 0 replaced, 0 skipped, 0 invalid, 2 failed") {
		t.Fatalf("read-only: %d\n%s", code, out)
	}
	t.Setenv(APIKeyEnv, e.api.AdminKey)

	// A file that is not valid: where, never what; nothing imported.
	broken := e.file(t, "broken.env", "A=1\nB=\""+importCanary+"\n")
	code, out = importRun(t, good, broken)
	if code != 1 || !strings.Contains(out, "broken.env: not valid .env at line 2: a quoted value has no closing quote (nothing was imported)") {
		t.Fatalf("broken: %d\n%s", code, out)
	}
	badTOML := e.file(t, "bad.toml", "[context.secrets]\nA = "+importCanary+"\n")
	code, out = importRun(t, badTOML)
	if code != 1 || !strings.Contains(out, "bad.toml: not valid TOML at line 2") {
		t.Fatalf("bad toml: %d\n%s", code, out)
	}
	if e.value(t, "A") != "<missing>" {
		t.Fatal("imported despite the error")
	}
	if code, out := importRun(t, filepath.Join(e.dir, "missing.env")); code != 1 || !strings.Contains(out, "no such file") {
		t.Fatalf("missing file: %d %s", code, out)
	}
	if code, _ := importRun(t); code != 2 {
		t.Fatalf("no file: %d", code)
	}
	// --format overrides the file name.
	asTOML := e.file(t, "secrets.txt", "[context.secrets]\nT = 1\n")
	if code, out := importRun(t, "--format", "dotenv", asTOML); code != 1 || !strings.Contains(out, "not valid .env") {
		t.Fatalf("--format dotenv: %d %s", code, out)
	}
	if code, out := importRun(t, asTOML); code != 0 || e.value(t, "T") != "1" {
		t.Fatalf("detected TOML: %d %s", code, out)
	}
	// --team.
	e.api.Team(t, "ops")
	if err := e.api.Store.AddMember(context.Background(), "ops", localapi.RoleUser, "admin"); err != nil {
		t.Fatal(err)
	}
	t.Setenv(APIKeyEnv, e.api.Key(t, "default", localapi.RoleUser, "admin"))
	if code, out := importRun(t, "--team", "ops", good); code != 0 || !strings.Contains(out, "Imported into team ops: 2 added") {
		t.Fatalf("--team: %d %s", code, out)
	}
	ops, _ := e.api.Store.TenantBySlug(context.Background(), "ops")
	if v, err := e.api.Store.SecretValue(context.Background(), ops.ID, "B"); err != nil || string(v) != `"2"` {
		t.Fatalf("ops B: %s %v", v, err)
	}
}
