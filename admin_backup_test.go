package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"teamsecrets/localapi"
)

// The backup that matters: taken from a real server while it takes writes
// over HTTP, restored with `store restore` as README says, it opens with
// the master key and holds every write acknowledged before the backup
// began.
func TestStoreBackupDuringWritesRestoresEveryEarlierWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server process")
	}
	t.Setenv(localapi.MasterKeyEnv, "")
	dir := filepath.Join(t.TempDir(), "data")
	c := startChild(t, dir, "api", "--addr", "127.0.0.1:0")
	w := startHTTPWriters(t, c.url, 4)
	w.waitFor(200)
	before := w.snapshot()
	backup := filepath.Join(t.TempDir(), "teamsecrets-backup.db")
	var out bytes.Buffer
	code := run(context.Background(), []string{"store", "backup", backup, "--data-dir", dir}, &out, &out)
	w.waitFor(50) // writes go on after it
	all := w.end(t)
	c.cmd.Process.Kill()
	c.cmd.Wait()
	if code != 0 {
		t.Fatalf("store backup: %d %s", code, out.String())
	}
	key, err := os.ReadFile(filepath.Join(dir, localapi.MasterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	said := out.String()
	if !strings.Contains(said, "wrote "+backup) || !strings.Contains(said, "integrity check ok") ||
		!strings.Contains(said, "master key is NOT in the backup") || strings.Contains(said, strings.TrimSpace(string(key))) {
		t.Fatalf("store backup said: %s", said)
	}
	if info, err := os.Stat(backup); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v", err)
	}
	if len(all) <= len(before) {
		t.Fatal("no write came after the backup began; the test proves little")
	}

	// Restore as README says: a new data directory holding the master
	// key, `store restore`, then start the server.
	restored := filepath.Join(t.TempDir(), "restored")
	if err := os.Mkdir(restored, 0o700); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(dir, localapi.MasterKeyFile), filepath.Join(restored, localapi.MasterKeyFile))
	if code, out := runIn(restored, "store", "restore", backup); code != 0 || !strings.Contains(out, "held no database to move aside") {
		t.Fatalf("store restore: %d %s", code, out)
	}
	if code, out := runIn(restored, "store", "check"); code != 0 {
		t.Fatalf("store check of the restored copy: %s", out)
	}
	r := startChild(t, restored, "api", "--addr", "127.0.0.1:0")
	d, err := gql(r.url, childAdminKey, `query { secret_names }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	json.Unmarshal(d["secret_names"], &names)
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for name, value := range before {
		if !have[name] {
			t.Fatalf("%s, acknowledged before the backup began, is not in it", name)
		}
		d, err := gql(r.url, childAdminKey, `query($n: String!) { secret_value(name: $n) }`, map[string]any{"n": name})
		if err != nil {
			t.Fatal(err)
		}
		// A later write of the same name may be in the copy too: the value
		// is the one acknowledged before, or a later one of the writer's.
		if got := string(d["secret_value"]); got != `"`+value+`"` && got != `"`+all[name]+`"` {
			t.Fatalf("%s in the restored copy = %s, want %q (or later %q)", name, got, value, all[name])
		}
	}
	t.Logf("%d writes acknowledged before the backup began, all in it (%d in all during the test)", len(before), len(all))
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A backup never replaces a file, and needs exactly one FILE.
func TestStoreBackupRefusesAnExistingFile(t *testing.T) {
	dir := serverMadeStore(t)
	existing := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runIn(dir, "store", "backup", existing)
	if code != 1 || !strings.Contains(out, "exists already: nothing was written") {
		t.Fatalf("backup over an existing file: %d %s", code, out)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Fatal("the existing file was changed")
	}
	if code, out := runIn(dir, "store", "backup"); code != 2 || !strings.Contains(out, "needs one FILE") {
		t.Fatalf("backup without FILE: %d %s", code, out)
	}
}
