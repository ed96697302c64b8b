package localapi_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/store/sqlite"
)

// dirFiles is every file of dir (not below) with a hash of its bytes:
// what "changed nothing" compares.
func dirFiles(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][32]byte{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = sha256.Sum256(b)
	}
	return out
}

func sameFiles(t *testing.T, dir string, before map[string][32]byte, what string) {
	t.Helper()
	if after := dirFiles(t, dir); !maps.Equal(after, before) {
		t.Fatalf("%s changed the data directory: %v, was %v", what, slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before)))
	}
}

// openRefused opens dir as mode and wants a refusal of kind want saying
// each of says.
func openRefused(t *testing.T, dir string, mode localapi.Mode, want error, says ...string) {
	t.Helper()
	st, err := localapi.Open(dir, mode)
	if err == nil {
		st.Close()
		t.Fatalf("mode %d: opened, want %v", mode, want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("mode %d: %v, want %v", mode, err, want)
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("mode %d: %q does not say %q", mode, err, s)
		}
	}
}

// An admin command never migrates: at a store one schema version behind
// (an older server serving it) it is refused, saying what to do, and the
// store is left byte for byte as it was. `store backup` (AsBackup) copies
// it as it is, read-only: the copy is at the old version too, so the
// binary that made the store restores it; this version's server migrates
// a restored copy as it starts. The server, and only it, migrates the
// store itself.
func TestAdminCommandsNeverMigrateAnOlderStore(t *testing.T) {
	dir := serverStore(t)
	last := sqlite.SchemaVersion()
	if err := sqlite.MigrateDownForTest(t.Context(), dir, last-1); err != nil {
		t.Fatal(err)
	}
	before := dirFiles(t, dir)
	behind := fmt.Sprintf("schema version %d, older than this program's (%d)", last-1, last)
	openRefused(t, dir, localapi.AsAdmin, localapi.ErrSchemaBehind, dir, behind, "admin commands never migrate",
		"Start this version's server", "binary that matches the store", "`teamsecrets store backup` backs up the store as it is",
		"Nothing was changed")
	sameFiles(t, dir, before, "a refused admin open")

	st, err := localapi.Open(dir, localapi.AsBackup)
	if err != nil {
		t.Fatalf("backup of an older store: %v", err)
	}
	want := values(t, st)
	backup := filepath.Join(t.TempDir(), "pre-upgrade.db")
	r, err := st.Backup(t.Context(), backup)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != last-1 || r.Current != last || r.Values != 2 {
		t.Fatalf("report %+v, want version %d of %d", r, last-1, last)
	}
	sameFiles(t, dir, before, "a backup")

	// The copy is the old store: still behind for an admin command, and
	// this version's server migrates it, every value there.
	key, _ := os.ReadFile(filepath.Join(dir, localapi.MasterKeyFile))
	restored := restore(t, backup, key)
	openRefused(t, restored, localapi.AsAdmin, localapi.ErrSchemaBehind, behind)
	st, err = localapi.Open(restored, localapi.AsServer)
	if err != nil {
		t.Fatal(err)
	}
	if got := values(t, st); !maps.Equal(got, want) {
		t.Fatalf("the restored copy holds %v, want %v", got, want)
	}
	st.Close()

	// The server migrates; admin commands then open the store.
	st, err = localapi.Open(dir, localapi.AsServer)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, mode := range []localapi.Mode{localapi.AsAdmin, localapi.AsBackup} {
		st, err := localapi.Open(dir, mode)
		if err != nil {
			t.Fatalf("mode %d after the server migrated: %v", mode, err)
		}
		st.Close()
	}
}

// A store a newer program migrated is refused by every admin command,
// `store backup` included, changing nothing.
func TestAdminCommandsRefuseANewerStore(t *testing.T) {
	dir := serverStore(t)
	v, err := sqlite.MigrateAheadForTest(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	before := dirFiles(t, dir)
	for _, mode := range []localapi.Mode{localapi.AsAdmin, localapi.AsBackup} {
		openRefused(t, dir, mode, localapi.ErrSchemaAhead, dir,
			fmt.Sprintf("schema version %d, newer than this program's (%d)", v, v-1), "Use that version's binary", "changed nothing")
	}
	sameFiles(t, dir, before, "a refused admin open")
}
