package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/store/pgtest"
)

// A --database-url (or TEAMSECRETS_DATABASE_URL) that is not postgres:// or
// postgresql:// is a usage error naming what to use, before anything is
// opened, and the message never repeats the URL (it may hold a password).
func TestDatabaseURLIsCheckedWithoutShowingIt(t *testing.T) {
	for _, bad := range []string{"mysql://u:hunter2pw@h/db", "host=h password=hunter2pw", "sqlite:///data/x.db"} {
		for _, args := range [][]string{
			{"api", "--addr", "127.0.0.1:0", "--database-url", bad}, {"--addr", "127.0.0.1:0", "--database-url", bad},
			{"team", "list", "--database-url", bad}, {"key", "list", "--team", "x", "--database-url", bad},
			{"audit", "--database-url", bad}, {"store", "check", "--database-url", bad},
		} {
			dir := filepath.Join(t.TempDir(), "data")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append(args, "--data-dir", dir), &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), "use postgres://") || strings.Contains(stderr.String(), "hunter2") {
				t.Errorf("%q: exit %d, %s", args, code, stderr.String())
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("%q: the data directory was created", args)
			}
		}
		t.Setenv("TEAMSECRETS_DATABASE_URL", bad)
		var stderr bytes.Buffer
		if code := run(context.Background(), []string{"api", "--addr", "127.0.0.1:0"}, io.Discard, &stderr); code != 2 ||
			!strings.Contains(stderr.String(), "TEAMSECRETS_DATABASE_URL") || strings.Contains(stderr.String(), "hunter2") {
			t.Errorf("TEAMSECRETS_DATABASE_URL=%q: exit %d, %s", bad, code, stderr.String())
		}
		t.Setenv("TEAMSECRETS_DATABASE_URL", "")
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--api-url", "https://api.prefect.io", "--database-url", "postgres://h/db"}, io.Discard, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "use one of them") {
		t.Errorf("--api-url with --database-url: exit %d, %s", code, stderr.String())
	}
}

// The server and every admin command run on a PostgreSQL database: the
// first start makes the store and prints the key, admin commands work
// beside the server, a second start says how to make a key (with the URL's
// password hidden), and no output shows the password.
func TestServerAndAdminCommandsOnPostgres(t *testing.T) {
	t.Setenv(localapi.MasterKeyEnv, "")
	t.Setenv(localapi.BootstrapKeyEnv, "")
	databaseURL := pgtest.URL(t)
	u, _ := url.Parse(databaseURL)
	password, _ := u.User.Password()
	dir := filepath.Join(t.TempDir(), "data")
	var all strings.Builder
	noPassword := func(what, out string) {
		t.Helper()
		all.WriteString(out)
		if password == "" || strings.Contains(out, password) {
			t.Fatalf("%s shows the database password (or the test URL has none): %s", what, out)
		}
	}

	// An admin command before the server made the store is refused.
	var out bytes.Buffer
	if code := run(context.Background(), []string{"team", "list", "--database-url", databaseURL, "--data-dir", dir}, &out, &out); code != 1 ||
		!strings.Contains(out.String(), "holds no Team Secrets store") {
		t.Fatalf("admin command on an empty database: %d %s", code, out.String())
	}
	noPassword("the refusal", out.String())
	// So is a server without --create-store: nothing is made.
	out.Reset()
	if code := run(context.Background(), []string{"api", "--addr", "127.0.0.1:0", "--database-url", databaseURL, "--data-dir", dir}, &out, &out); code != 1 ||
		!strings.Contains(out.String(), "--create-store") || strings.Contains(out.String(), "tsk_") {
		t.Fatalf("server on an empty database without --create-store: %d %s", code, out.String())
	}
	noPassword("the server's refusal", out.String())

	printed, stop := serveInProcess(t, "api", "--addr", "127.0.0.1:0", "--database-url", databaseURL, "--data-dir", dir, "--create-store")
	noPassword("the first start", printed)
	key := regexp.MustCompile(`tsk_[A-Za-z0-9_-]{40,}`).FindString(printed)
	base := listenRE.FindStringSubmatch(printed)[1]
	if key == "" {
		t.Fatalf("no key printed: %s", printed)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 || entries[0].Name() != localapi.MasterKeyFile {
		t.Fatalf("the data directory holds %v, want master.key alone", entries)
	}
	if _, err := gql(base, key, `mutation { set_secret(input: {name: "A", value: "v"}) { success } }`, nil); err != nil {
		t.Fatal(err)
	}
	cmd := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if code := run(context.Background(), append(args, "--database-url", databaseURL, "--data-dir", dir), &out, &out); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, out.String())
		}
		noPassword(strings.Join(args, " "), out.String())
		return out.String()
	}
	cmd("team", "create", "data-eng")
	cmd("member", "add", "--team", "data-eng", "--role", "USER", "--user", "alice")
	aliceKey := regexp.MustCompile(`tsk_[A-Za-z0-9_-]{40,}`).FindString(cmd("key", "create", "--team", "data-eng", "--user", "alice", "--name", "laptop"))
	if list := cmd("key", "list", "--team", "data-eng"); !strings.Contains(list, "laptop") {
		t.Fatalf("key list: %s", list)
	}
	if check := cmd("store", "check"); !strings.Contains(check, "store ok: 2 teams, 1 value") {
		t.Fatalf("store check: %s", check)
	}
	if trail := cmd("audit"); !strings.Contains(trail, "secret.added") || !strings.Contains(trail, "key.created") {
		t.Fatalf("audit: %s", trail)
	}
	// The key made beside the server works at once: the server keeps no
	// names or keys of its own.
	if _, err := gql(base, aliceKey, `mutation { set_secret(input: {name: "FROM_ALICE", value: "v"}) { success } }`, nil); err != nil {
		t.Fatalf("alice's new key: %v", err)
	}
	stop()

	// Second start: no key, and how to make one, the password hidden.
	printed, stop = serveInProcess(t, "api", "--addr", "127.0.0.1:0", "--database-url", databaseURL, "--data-dir", dir)
	defer stop()
	noPassword("the second start", printed)
	hint := regexp.MustCompile(`(?m)^ +teamsecrets (key create .*)$`).FindStringSubmatch(printed)
	if hint == nil || strings.Contains(printed, "tsk_") || !strings.Contains(printed, "xxxxx") {
		t.Fatalf("second start: %s", printed)
	}
	args := strings.Fields(strings.ReplaceAll(hint[1], "'", ""))
	for i, a := range args {
		args[i] = strings.Replace(a, "xxxxx", password, 1)
	}
	out.Reset()
	if code := run(context.Background(), args, &out, &out); code != 0 {
		t.Fatalf("the hint's command: exit %d: %s", code, out.String())
	}
	newKey := regexp.MustCompile(`tsk_[A-Za-z0-9_-]{40,}`).FindString(out.String())
	if data, err := gql(listenRE.FindStringSubmatch(printed)[1], newKey, `query { auth_info { role } }`, nil); err != nil ||
		!strings.Contains(string(data["auth_info"]), "TENANT_ADMIN") {
		t.Fatalf("the hint's key: %s %v", data["auth_info"], err)
	}
}
