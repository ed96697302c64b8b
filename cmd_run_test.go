package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

// testChildFlag makes the test binary the command that `run` starts: with
// "--teamsecrets-test-child MODE REPORT [EXIT]" it reports what it sees to
// the file REPORT instead of running tests.
const testChildFlag = "--teamsecrets-test-child"

// childReport is what the command saw.
type childReport struct {
	Started int64             // time.Now().UnixNano() as it began
	Env     map[string]string // PREFECT__CONTEXT__SECRETS__* variables
	APIKey  bool              // TEAMSECRETS_API_KEY was set
}

func init() {
	if len(os.Args) < 4 || os.Args[1] != testChildFlag {
		return
	}
	started := time.Now().UnixNano()
	mode, report := os.Args[2], os.Args[3]
	switch mode {
	case "env":
		r := childReport{Started: started, Env: map[string]string{}}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			if strings.HasPrefix(k, "PREFECT__CONTEXT__SECRETS__") {
				r.Env[k] = v
			}
			r.APIKey = r.APIKey || k == APIKeyEnv
		}
		b, _ := json.Marshal(r)
		os.WriteFile(report, b, 0o600)
		code, _ := strconv.Atoi(os.Args[4])
		os.Exit(code)
	case "signal", "die":
		waitForSignal(mode, report) // in cmd_run_signal_test.go
	}
	os.Exit(99)
}

// runEnv is a team on the real local API with a key in the environment,
// and Prefect's config file pointed at an empty directory.
type runEnv struct {
	api    *apitest.Env
	teamID string
	dir    string
}

func startRunEnv(t *testing.T) *runEnv {
	t.Helper()
	api := apitest.Start(t)
	team, err := api.Store.TenantBySlug(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv(APIKeyEnv, api.AdminKey)
	t.Setenv("TEAMSECRETS_API_URL", api.URL)
	t.Setenv("PREFECT__USER_CONFIG_PATH", filepath.Join(dir, "config.toml"))
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(strings.ToUpper(k), "PREFECT__CONTEXT__SECRETS__") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	return &runEnv{api: api, teamID: team.ID, dir: dir}
}

func (e *runEnv) put(t *testing.T, teamID string, secrets map[string]string) {
	t.Helper()
	values := map[string]json.RawMessage{}
	for n, v := range secrets {
		values[n] = json.RawMessage(v)
	}
	if err := e.api.Store.PutSecrets(context.Background(), teamID, values); err != nil {
		t.Fatal(err)
	}
}

// runResult is one `teamsecrets run`: its exit code, its own output, and
// what the command saw (nil if it did not start).
type runResult struct {
	code   int
	output string
	child  *childReport
}

// runChild runs `teamsecrets run FLAGS -- <test binary> env REPORT EXIT`.
func (e *runEnv) runChild(t *testing.T, exit int, flags ...string) runResult {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	args := append([]string{"run"}, flags...)
	args = append(args, "--", os.Args[0], testChildFlag, "env", report, strconv.Itoa(exit))
	var out bytes.Buffer
	code := run(context.Background(), args, &out, &out)
	r := runResult{code: code, output: out.String()}
	if b, err := os.ReadFile(report); err == nil {
		r.child = &childReport{}
		if err := json.Unmarshal(b, r.child); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

const runCanary = "CANARY-7e57-run-VALUE"

func noCanary(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, "CANARY") {
		t.Fatalf("%s holds a value: %s", what, s)
	}
}

func TestRunSetsTeamSecretsAsPrefectReadsThem(t *testing.T) {
	e := startRunEnv(t)
	e.put(t, e.teamID, map[string]string{
		"TEXT":                  `"` + runCanary + ` text"`,
		"JSON_IN_TEXT":          `"{\"k\": \"` + runCanary + `\"}"`,
		"NUMBER_TEXT":           `"123"`,
		"MULTILINE":             `"line one\nline \"two\""`,
		"NUM":                   `42`,
		"FLOAT":                 `2.50`,
		"BOOL":                  `true`,
		"NULL":                  `null`,
		"OBJECT":                `{"user": "app", "token": "` + runCanary + `", "ports": [1, 2]}`,
		"MixedCase":             `"kept case"`,
		"db.password":           `"` + runCanary + `"`,
		"snowflake-credentials": `{"x": "` + runCanary + `"}`,
		"NESTED__NAME":          `"` + runCanary + `"`,
		"LOCAL_ENV":             `"team value"`,
		"LOCAL_TOML":            `"team value"`,
	})
	t.Setenv("PREFECT__CONTEXT__SECRETS__LOCAL_ENV", "local value")
	os.WriteFile(filepath.Join(e.dir, "config.toml"), []byte("[context.secrets]\nLOCAL_TOML = \"local\"\n"), 0o600)

	r := e.runChild(t, 3)
	if r.code != 3 || r.child == nil {
		t.Fatalf("exit %d, child ran: %v; output: %s", r.code, r.child != nil, r.output)
	}
	want := map[string]string{
		"TEXT":         runCanary + " text",
		"JSON_IN_TEXT": `{"k": "` + runCanary + `"}`,
		"NUMBER_TEXT":  "123",
		"MULTILINE":    "line one\nline \"two\"",
		"NUM":          "42",
		"FLOAT":        "2.50",
		"BOOL":         "true",
		"NULL":         "null",
		"OBJECT":       `{"user":"app","token":"` + runCanary + `","ports":[1,2]}`,
		"MixedCase":    "kept case",
		"LOCAL_ENV":    "local value",
	}
	var got []string
	for k, v := range r.child.Env {
		name, ok := strings.CutPrefix(k, "PREFECT__CONTEXT__SECRETS__")
		if !ok {
			continue
		}
		got = append(got, name)
		if want[name] != v {
			t.Errorf("%s = %q, want %q", name, v, want[name])
		}
	}
	if len(got) != len(want) {
		slices.Sort(got)
		t.Errorf("set %v", got)
	}
	if r.child.APIKey {
		t.Error("the API key was passed on to the command")
	}
	// One warning line names every skipped name; values never appear.
	noCanary(t, "run's output", r.output)
	lines := strings.Split(strings.TrimSpace(r.output), "\n")
	if len(lines) != 2 ||
		lines[0] != `teamsecrets run: warning: not set, these names cannot be environment variables: "db.password", "NESTED__NAME", "snowflake-credentials"` ||
		lines[1] != `teamsecrets run: set locally, left as they are (--override replaces them): "LOCAL_ENV", "LOCAL_TOML"` {
		t.Fatalf("output:\n%s", r.output)
	}

	// --override: the team's values win over local ones.
	r = e.runChild(t, 0, "--override")
	if r.code != 0 || r.child.Env["PREFECT__CONTEXT__SECRETS__LOCAL_ENV"] != "team value" ||
		r.child.Env["PREFECT__CONTEXT__SECRETS__LOCAL_TOML"] != "team value" {
		t.Fatalf("override: %d %v %s", r.code, r.child.Env, r.output)
	}
	noCanary(t, "run's output", r.output)
}

func TestRunOnlyTeamAndKeyFile(t *testing.T) {
	e := startRunEnv(t)
	e.put(t, e.teamID, map[string]string{"A": `"a"`, "B": `"b"`, "C": `"` + runCanary + `"`})
	opsID := e.api.Team(t, "ops")
	e.put(t, opsID, map[string]string{"OPS": `"ops value"`})

	r := e.runChild(t, 0, "--only", "A, B,A")
	if r.code != 0 || len(r.child.Env) != 2 || r.child.Env["PREFECT__CONTEXT__SECRETS__A"] != "a" || r.child.Env["PREFECT__CONTEXT__SECRETS__B"] != "b" {
		t.Fatalf("--only: %d %v %s", r.code, r.child, r.output)
	}
	r = e.runChild(t, 0, "--only", "A,NOPE,C")
	if r.code != 1 || r.child != nil || !strings.Contains(r.output, `no secret named "NOPE"`) {
		t.Fatalf("--only with a missing name: %d %v %s", r.code, r.child != nil, r.output)
	}
	noCanary(t, "run's output", r.output)

	// --team: the admin's user key acts in ops once admin is a member.
	if err := e.api.Store.AddMember(context.Background(), "ops", localapi.RoleUser, "admin"); err != nil {
		t.Fatal(err)
	}
	user := e.api.Key(t, "default", localapi.RoleUser, "admin")
	keyFile := filepath.Join(e.dir, "key")
	os.WriteFile(keyFile, []byte(user+"\n"), 0o600)
	t.Setenv(APIKeyEnv, "")
	r = e.runChild(t, 0, "--team", "ops", "--key-file", keyFile)
	if r.code != 0 || len(r.child.Env) != 1 || r.child.Env["PREFECT__CONTEXT__SECRETS__OPS"] != "ops value" {
		t.Fatalf("--team ops: %d %v %s", r.code, r.child, r.output)
	}
	r = e.runChild(t, 0, "--team", "nope", "--key-file", keyFile)
	if r.code != 1 || r.child != nil || !strings.Contains(r.output, `no team "nope"`) {
		t.Fatalf("unknown team: %d %s", r.code, r.output)
	}
	r = e.runChild(t, 0)
	if r.code != 1 || r.child != nil || !strings.Contains(r.output, "no API key: set TEAMSECRETS_API_KEY or pass --key-file") {
		t.Fatalf("no key: %d %s", r.code, r.output)
	}
	t.Setenv(APIKeyEnv, "tsk_not_a_valid_key")
	r = e.runChild(t, 0)
	if r.code != 1 || r.child != nil || !strings.Contains(r.output, "The API key was not accepted.") || strings.Contains(r.output, "tsk_not_a_valid_key") {
		t.Fatalf("bad key: %d %s", r.code, r.output)
	}
	// A read-only key may list names but not read values.
	t.Setenv(APIKeyEnv, e.api.Key(t, "default", localapi.RoleReadOnlyUser, ""))
	r = e.runChild(t, 0)
	if r.code != 1 || r.child != nil || !strings.Contains(r.output, "This key may not do that in this team.") {
		t.Fatalf("read-only key: %d %s", r.code, r.output)
	}
	noCanary(t, "run's output", r.output)
}

func TestRunExitCodes(t *testing.T) {
	e := startRunEnv(t)
	for _, code := range []int{0, 1, 7, 255} {
		if r := e.runChild(t, code); r.code != code {
			t.Errorf("command exited %d, run %d: %s", code, r.code, r.output)
		}
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"run", "--", "teamsecrets-no-such-command"}, &out, &out); code != 127 {
		t.Errorf("missing command: %d %s", code, out.String())
	}
	notExec := filepath.Join(e.dir, "not-executable")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o600)
	if code := run(context.Background(), []string{"run", "--", notExec}, &out, &out); code != 126 {
		t.Errorf("not executable: %d %s", code, out.String())
	}
	if code := run(context.Background(), []string{"run"}, &out, &out); code != 2 {
		t.Errorf("no command: %d", code)
	}
}

// A team of 1,000 secrets: the time from `run` starting to the command
// starting, reported (not asserted: the machine is shared). See also
// BenchmarkRunEnviron.
func TestRunStartTimeWith1000Secrets(t *testing.T) {
	if testing.Short() {
		t.Skip("timing report")
	}
	e := startRunEnv(t)
	secrets := map[string]string{}
	for i := range 1000 {
		secrets[fmt.Sprintf("SECRET_%04d", i)] = fmt.Sprintf(`{"user":"u%d","password":"%s"}`, i, strings.Repeat("p", 200))
	}
	e.put(t, e.teamID, secrets)
	var best time.Duration
	for range 3 {
		start := time.Now()
		r := e.runChild(t, 0)
		if r.code != 0 || r.child == nil || len(r.child.Env) != 1000 {
			t.Fatalf("exit %d: %s", r.code, r.output)
		}
		d := time.Duration(r.child.Started - start.UnixNano())
		if best == 0 || d < best {
			best = d
		}
	}
	t.Logf("1,000 secrets: run start to command start %v (best of 3)", best.Round(time.Millisecond))
}

// BenchmarkRunEnviron: reading a 1,000-secret team into an environment
// (names, 20 documents of 50 values) against the real local API.
func BenchmarkRunEnviron(b *testing.B) {
	api := apitest.Start(b)
	team, _ := api.Store.TenantBySlug(context.Background(), "default")
	values := map[string]json.RawMessage{}
	for i := range 1000 {
		values[fmt.Sprintf("SECRET_%04d", i)] = json.RawMessage(fmt.Sprintf(`{"user":"u%d","password":"%s"}`, i, strings.Repeat("p", 200)))
	}
	if err := api.Store.PutSecrets(context.Background(), team.ID, values); err != nil {
		b.Fatal(err)
	}
	b.Setenv(APIKeyEnv, api.AdminKey)
	af := apiFlags{apiURL: api.URL}
	opts := runOptions{environ: []string{"PATH=/bin"}}
	for b.Loop() {
		env, err := runEnviron(context.Background(), af, opts, &bytes.Buffer{})
		if err != nil || len(env) != 1001 {
			b.Fatal(err, len(env))
		}
	}
}
