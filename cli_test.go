package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// Every command of the table is listed by --help and reached by its name:
// its own --help, printed by its own function, begins with its line.
func TestCommandTableDrivesHelpAndDispatch(t *testing.T) {
	var top bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &top, io.Discard); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	cmds := commands()
	for _, c := range cmds[1:] {
		if !strings.Contains(top.String(), "\n  "+strings.TrimPrefix(c.line(), "teamsecrets ")+"\n") ||
			!strings.Contains(top.String(), c.about) {
			t.Errorf("--help does not list %q: %s", c.name, top.String())
		}
	}
	for _, c := range cmds {
		for _, args := range [][]string{
			append(strings.Fields(c.name), "--help"),
			append(strings.Fields(c.name), "-h"),
			append([]string{"help"}, strings.Fields(c.name)...),
		} {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			if code != 0 || stderr.Len() > 0 || !strings.HasPrefix(stdout.String(), "Usage: "+c.line()+"\n") {
				t.Errorf("%q: exit %d, stderr %q, stdout %q", args, code, stderr.String(), stdout.String())
			}
		}
	}
	// A group's help lists its commands.
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"team", "--help"}, &stdout, io.Discard); code != 0 ||
		!strings.Contains(stdout.String(), "team create SLUG") || !strings.Contains(stdout.String(), "team list") {
		t.Fatalf("team --help: exit %d %s", code, stdout.String())
	}
}

// Wrong usage says what is wrong on stderr, nothing on stdout, and exits 2,
// before anything is opened or created.
func TestUsageErrorsGoToStderrWithExit2(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	t.Setenv("TEAMSECRETS_DATA_DIR", dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frob"}, `unknown command "frob"`},
		{[]string{"team"}, "use team create or team list"},
		{[]string{"team", "delete", "x"}, "use team create or team list"},
		{[]string{"--no-such-flag"}, "-no-such-flag"},
		{[]string{"--addr", "127.0.0.1:0", "extra"}, `unexpected argument "extra"`},
		{[]string{"--tls-cert", "cert.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"api", "--api-url", "http://x"}, "-api-url"},
		{[]string{"team", "create"}, "team create needs a SLUG"},
		{[]string{"team", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"key", "create", "--user", "alice"}, "key create needs --team"},
		{[]string{"member", "add", "--team", "default"}, "member add needs --team and --user"},
		{[]string{"store", "check", "--team", "x"}, "-team"},
		{[]string{"run"}, "no COMMAND to run"},
		{[]string{"import"}, "name a FILE to import, or pass --from-env"},
		{[]string{"version", "x"}, `unexpected argument "x"`},
		{[]string{"help", "frob"}, `unknown command "frob"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != 2 || stdout.Len() > 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, stdout.String(), stderr.String(), tc.want)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a usage error created the data directory: %v", err)
	}
}

// An environment value the flag would refuse stops the start, naming the
// variable and what it accepts; nothing is created.
func TestInvalidEnvironmentValuesAreErrors(t *testing.T) {
	bools, durations, counts := "use true or false", "use a duration above zero with its unit", "use a whole number of at least 1"
	addrs := "use host:port, e.g. 127.0.0.1:9090"
	for _, tc := range []struct {
		cmd        string
		env, value string
		want       string
	}{
		{"", "TEAMSECRETS_SECURE_COOKIES", "yes", bools},
		{"", "TEAMSECRETS_TRUST_PROXY", "on", bools},
		{"api", "TEAMSECRETS_TRUST_PROXY", "enabled", bools},
		{"", "TEAMSECRETS_SESSION_IDLE", "15", durations},
		{"", "TEAMSECRETS_SESSION_IDLE", "0", durations},
		{"", "TEAMSECRETS_SESSION_MAX", "-1h", durations},
		{"", "TEAMSECRETS_API_TIMEOUT", "ten seconds", durations},
		{"", "TEAMSECRETS_MAX_SECRETS_PER_TEAM", "0", counts},
		{"api", "TEAMSECRETS_MAX_SECRETS_PER_TEAM", "1e4", counts},
		{"", "TEAMSECRETS_AUDIT_RETENTION", "forever", "use whole days (365d)"},
		{"api", "TEAMSECRETS_AUDIT_RETENTION", "-1d", "use whole days (365d)"},
		{"", "TEAMSECRETS_METRICS_ADDR", "9090", addrs},
		{"api", "TEAMSECRETS_METRICS_ADDR", "127.0.0.1:metrics", addrs},
		{"", "TEAMSECRETS_METRICS_ADDR", "127.0.0.1:70000", addrs},
	} {
		t.Run(strings.TrimSpace(tc.cmd+" "+tc.env+"="+tc.value), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			t.Setenv(tc.env, tc.value)
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // were the value taken, the server would start and stop at once
			var stdout, stderr bytes.Buffer
			code := run(ctx, append(strings.Fields(tc.cmd), "--addr", "127.0.0.1:0", "--data-dir", dir), &stdout, &stderr)
			want := fmt.Sprintf("invalid value %q for %s: %s", tc.value, tc.env, tc.want)
			if code != 2 || !strings.Contains(stderr.String(), want) || stdout.Len() > 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout.String(), stderr.String(), want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("the data directory was created: %v", err)
			}
		})
	}
	// The flags refuse the same values.
	for _, args := range [][]string{{"--session-idle", "0"}, {"--api-timeout=-1s"}, {"--secure-cookies=yes"}, {"--max-secrets-per-team", "0"}, {"--metrics-addr", "localhost"}} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "use ") {
			t.Errorf("%q: exit %d, %s", args, code, stderr.String())
		}
	}
}

// Every accepted form is taken, a flag wins over its variable, and with
// neither the defaults are those of the README.
func TestEnvironmentValuesAndDefaults(t *testing.T) {
	server := commands()[0]
	for _, env := range []string{"TEAMSECRETS_ADDR", "TEAMSECRETS_DATA_DIR", "TEAMSECRETS_API_URL",
		"TEAMSECRETS_SECURE_COOKIES", "TEAMSECRETS_TRUST_PROXY", "TEAMSECRETS_SESSION_IDLE",
		"TEAMSECRETS_SESSION_MAX", "TEAMSECRETS_API_TIMEOUT", "TEAMSECRETS_MAX_SECRETS_PER_TEAM", "TEAMSECRETS_AUDIT_RETENTION", "TEAMSECRETS_METRICS_ADDR"} {
		t.Setenv(env, "") // empty is unset
	}
	cfg, _, err := parseConfig(server, nil)
	want := config{Addr: "127.0.0.1:8080", DataDir: "./data", IdleTimeout: 30 * time.Minute,
		MaxLifetime: 12 * time.Hour, APITimeout: 10 * time.Second, MaxSecrets: 10000, AuditRetention: 365 * 24 * time.Hour}
	if err != nil || cfg != want {
		t.Fatalf("defaults: %+v %v, want %+v", cfg, err, want)
	}

	t.Setenv("TEAMSECRETS_ADDR", "127.0.0.1:9")
	t.Setenv("TEAMSECRETS_SECURE_COOKIES", "TRUE")
	t.Setenv("TEAMSECRETS_TRUST_PROXY", "1")
	t.Setenv("TEAMSECRETS_SESSION_IDLE", "90s")
	t.Setenv("TEAMSECRETS_SESSION_MAX", "1h30m")
	t.Setenv("TEAMSECRETS_API_TIMEOUT", "2s")
	t.Setenv("TEAMSECRETS_MAX_SECRETS_PER_TEAM", "50")
	t.Setenv("TEAMSECRETS_AUDIT_RETENTION", "0")
	t.Setenv("TEAMSECRETS_METRICS_ADDR", ":9090")
	cfg, _, err = parseConfig(server, []string{"--session-max", "2h", "--trust-proxy=false"})
	want = config{Addr: "127.0.0.1:9", DataDir: "./data", SecureCookies: true, TrustProxy: false,
		IdleTimeout: 90 * time.Second, MaxLifetime: 2 * time.Hour, APITimeout: 2 * time.Second, MaxSecrets: 50, AuditRetention: 0,
		MetricsAddr: ":9090"}
	if err != nil || cfg != want {
		t.Fatalf("from the environment: %+v %v, want %+v", cfg, err, want)
	}
	// A flag on the command line wins even over a wrong variable.
	t.Setenv("TEAMSECRETS_SESSION_IDLE", "15")
	if cfg, _, err = parseConfig(server, []string{"--session-idle", "20m"}); err != nil || cfg.IdleTimeout != 20*time.Minute {
		t.Fatalf("flag over a wrong variable: %v %v", cfg.IdleTimeout, err)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"api", "--version"}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		want := "teamsecrets dev (" + runtime.Version()
		if code != 0 || stderr.Len() > 0 || !strings.HasPrefix(stdout.String(), want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", args, code, stdout.String(), stderr.String(), want)
		}
	}
}

func TestVersionLineNamesTheRevision(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "2c063b397405ff8673a4144c8f0cefbef111b224"},
		{Key: "vcs.time", Value: "2026-11-24T19:15:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	if got, want := versionLine("1.2.3", info), "teamsecrets 1.2.3 (go1.26.8, revision 2c063b397405, 2026-11-24T19:15:00Z, modified)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got, want := versionLine("dev", nil), "teamsecrets dev ("+runtime.Version()+")"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A release build says its version, set with -ldflags, and the revision
// it was built from when the build recorded one (not in a git worktree,
// nor with -buildvcs=false).
func TestVersionOfABuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "teamsecrets")
	build := exec.Command("go", "build", "-buildvcs=auto", "-ldflags", "-X main.version=1.2.3-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "teamsecrets 1.2.3-test (go") {
		t.Fatalf("--version: %q %v", out, err)
	}
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	rev := regexp.MustCompile(`vcs.revision=([0-9a-f]{12})`).FindSubmatch(info)
	if rev == nil {
		t.Logf("the build recorded no revision: %q", out)
		return
	}
	if !strings.Contains(string(out), "revision "+string(rev[1])) {
		t.Fatalf("--version %q does not name revision %s", out, rev[1])
	}
}
