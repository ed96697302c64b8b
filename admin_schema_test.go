package main

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"teamsecrets/localapi/store/sqlite"
)

// fileHashes is every file of dir with a hash of its bytes.
func fileHashes(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][32]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = sha256.Sum256(b)
	}
	return out
}

// Beside a server of the previous version (here: the store one schema
// version behind, its directory locked as that server would hold it), this
// version's admin commands never migrate the store. `store backup` copies
// it as it is (the pre-upgrade backup), saying the copy is at the old
// version; the others are refused, saying what to do. Not a byte of the
// store changes.
func TestAdminCommandsBesideAnOlderServerNeverMigrate(t *testing.T) {
	dir := serverMadeStore(t)
	last := sqlite.SchemaVersion()
	if err := sqlite.MigrateDownForTest(t.Context(), dir, last-1); err != nil {
		t.Fatal(err)
	}
	unlock, err := sqlite.LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	before := fileHashes(t, dir)

	backup := filepath.Join(t.TempDir(), "pre-upgrade.db")
	code, out := runIn(dir, "store", "backup", backup)
	if code != 0 || !strings.Contains(out, "wrote "+backup) ||
		!strings.Contains(out, fmt.Sprintf("schema is version %d, older than this program's (%d), and was not migrated", last-1, last)) {
		t.Fatalf("store backup beside an older server: %d %s", code, out)
	}
	for _, args := range [][]string{{"store", "check"}, {"team", "list"}, {"key", "list", "--team", "default"},
		{"audit"}, {"member", "add", "--team", "default", "--user", "bob"}, {"store", "rotate-master-key"}} {
		code, out := runIn(dir, args...)
		if code != 1 || !strings.Contains(out, fmt.Sprintf("schema version %d, older than this program's (%d)", last-1, last)) ||
			!strings.Contains(out, "admin commands never migrate") || !strings.Contains(out, "Start this version's server") ||
			strings.Contains(out, storeCanary) {
			t.Fatalf("%v beside an older server: %d %s", args, code, out)
		}
	}
	if after := fileHashes(t, dir); !maps.Equal(after, before) {
		t.Fatal("an admin command changed the store's files")
	}
}
