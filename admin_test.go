package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"teamsecrets/localapi"
)

const storeCanary = "CANARY-admin-5e02b8"

// serverMadeStore makes a store in a new data directory as the server does
// on first start (master.key generated beside it), with secret A in team
// default, and closes it.
func serverMadeStore(t *testing.T) string {
	t.Helper()
	t.Setenv(localapi.MasterKeyEnv, "")
	dir := filepath.Join(t.TempDir(), "data")
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := localapi.Bootstrap(t.Context(), st, childAdminKey); err != nil {
		t.Fatal(err)
	}
	team, err := st.TenantBySlug(t.Context(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutSecret(t.Context(), team.ID, "A", []byte(`"`+storeCanary+`"`)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runIn runs the command with --data-dir dir and returns its exit code and
// everything it printed. A server that starts is stopped after a moment.
func runIn(dir string, args ...string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var out syncWriter
	out.w = &bytes.Buffer{}
	code := run(ctx, append(args, "--data-dir", dir), &out, &out)
	return code, readSync(out.w)
}

// mustRefuse runs the server and an admin command on dir: both must fail
// before serving anything, saying each of says, and never print a value or
// a new key.
func mustRefuse(t *testing.T, dir string, says ...string) {
	t.Helper()
	for _, args := range [][]string{{"api", "--addr", "127.0.0.1:0"}, {"team", "list"}, {"store", "check"}} {
		code, out := runIn(dir, args...)
		if code == 0 {
			t.Fatalf("%v: exit 0, want a refusal: %s", args, out)
		}
		for _, s := range says {
			if !strings.Contains(out, s) {
				t.Errorf("%v: %q does not say %q", args, out, s)
			}
		}
		if strings.Contains(out, storeCanary) || strings.Contains(out, "tsk_") || strings.Contains(out, "listening") {
			t.Fatalf("%v: the refusal served, or printed a value or a key: %s", args, out)
		}
	}
}

func otherMasterKey() string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32))
}

// Issue 11: a wrong TEAMSECRETS_MASTER_KEY, or a replaced master.key,
// started fine (reads failed, new writes were sealed under the wrong key,
// store check said ok).
func TestStartupRefusesAWrongMasterKey(t *testing.T) {
	dir := serverMadeStore(t)
	t.Setenv(localapi.MasterKeyEnv, otherMasterKey())
	mustRefuse(t, dir, "TEAMSECRETS_MASTER_KEY", "is not the key of the store", "set TEAMSECRETS_MASTER_KEY to the store's key")

	t.Setenv(localapi.MasterKeyEnv, "")
	keyPath := filepath.Join(dir, "master.key")
	if err := os.WriteFile(keyPath, []byte(otherMasterKey()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRefuse(t, dir, keyPath, "is not the key of the store", "restore master.key from your backup")
}

// Issue 11: a deleted master.key was silently made anew.
func TestStartupRefusesAStoreWhoseMasterKeyIsGone(t *testing.T) {
	dir := serverMadeStore(t)
	keyPath := filepath.Join(dir, "master.key")
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	mustRefuse(t, dir, "master key is missing", "restore master.key from your backup", "TEAMSECRETS_MASTER_KEY")
	if _, err := os.Stat(keyPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a new master.key was made: %v", err)
	}
}

// Issue 11: a database emptied to 0 bytes (or deleted) beside master.key
// started as a new store with a new bootstrap key.
func TestStartupRefusesAnEmptiedDatabaseBesideMasterKey(t *testing.T) {
	dir := serverMadeStore(t)
	db := filepath.Join(dir, localapi.DBFile)
	if err := os.Truncate(db, 0); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEAMSECRETS_BOOTSTRAP_KEY", "")
	mustRefuse(t, dir, db, "is missing or empty", "Restore", "move master.key out of")
	if info, err := os.Stat(db); err != nil || info.Size() != 0 {
		t.Fatalf("the database was touched: %v", err)
	}
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	mustRefuse(t, dir, db, "is missing or empty")
}

// Issue 11: `team list --data-dir /tmp/typo` made an empty store there.
func TestAdminCommandsRefuseADirectoryWithoutAStore(t *testing.T) {
	t.Setenv(localapi.MasterKeyEnv, "")
	typo := filepath.Join(t.TempDir(), "typo")
	empty := t.TempDir()
	for _, dir := range []string{typo, empty} {
		for _, args := range [][]string{
			{"team", "list"},
			{"team", "create", "data-eng"},
			{"member", "add", "--team", "data-eng", "--user", "alice"},
			{"key", "create", "--team", "data-eng"},
			{"store", "check"},
		} {
			code, out := runIn(dir, args...)
			if code == 0 || !strings.Contains(out, dir) || !strings.Contains(out, "holds no Team Secrets store") {
				t.Fatalf("%v in %s: %d %s", args, dir, code, out)
			}
		}
	}
	if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the mistyped directory was made: %v", err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Fatalf("files made in an empty directory: %v", entries)
	}
}

// Issue 11: a second `team create` of one slug printed SQLite's error.
func TestTeamCreateOfAnExistingSlugSaysItExists(t *testing.T) {
	dir := serverMadeStore(t)
	if code, out := runIn(dir, "team", "create", "data-eng"); code != 0 {
		t.Fatalf("team create: %d %s", code, out)
	}
	code, out := runIn(dir, "team", "create", "data-eng", "Again")
	if code == 0 || !strings.Contains(out, `team "data-eng" already exists`) ||
		strings.Contains(out, "UNIQUE") || strings.Contains(out, "constraint") {
		t.Fatalf("second team create: %d %s", code, out)
	}
}

// store check opens every value and reports counts; a value that does not
// open fails it, named, never shown.
func TestStoreCheckCountsValuesThatOpen(t *testing.T) {
	dir := serverMadeStore(t)
	code, out := runIn(dir, "store", "check")
	if code != 0 || !strings.Contains(out, "store ok: 1 team, 1 value") || strings.Contains(out, storeCanary) {
		t.Fatalf("store check: %d %s", code, out)
	}
}
