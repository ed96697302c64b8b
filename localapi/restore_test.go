//go:build unix

package localapi_test

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/store/sqlite"
)

// putSecrets writes name=value pairs into team default.
func putSecrets(t *testing.T, st *localapi.Store, kv ...string) {
	t.Helper()
	team, err := st.TenantBySlug(t.Context(), "default")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(kv); i += 2 {
		if err := st.PutSecret(t.Context(), team.ID, kv[i], []byte(`"`+kv[i+1]+`"`)); err != nil {
			t.Fatal(err)
		}
	}
}

// storeValues opens dir as the server and returns every value.
func storeValues(t *testing.T, dir string) map[string]string {
	t.Helper()
	st, err := localapi.Open(dir, localapi.AsServer)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return values(t, st)
}

// withLaterWrites makes a store with a backup, then writes after the
// backup, and leaves beside the database the -wal of those writes, as a
// server killed mid-way would. It returns the data directory, the backup,
// the backup's values, the values after the writes, and the -wal's bytes.
func withLaterWrites(t *testing.T) (dir, backup string, want, later map[string]string, wal []byte) {
	t.Helper()
	dir = serverStore(t)
	st, err := localapi.Open(dir, localapi.AsServer)
	if err != nil {
		t.Fatal(err)
	}
	backup = filepath.Join(t.TempDir(), "backup.db")
	if _, err := st.Backup(t.Context(), backup); err != nil {
		t.Fatal(err)
	}
	want = values(t, st)
	putSecrets(t, st, "A", "changed after the backup", "C", "made after the backup")
	later = values(t, st)
	walPath := filepath.Join(dir, localapi.DBFile+"-wal")
	if wal, err = os.ReadFile(walPath); err != nil || len(wal) == 0 {
		t.Fatalf("no -wal while the store is open: %v", err)
	}
	st.Close() // checkpoints and removes the -wal; put it back
	if err := os.WriteFile(walPath, wal, 0o600); err != nil {
		t.Fatal(err)
	}
	if maps.Equal(want, later) {
		t.Fatal("the later writes changed nothing; the test proves little")
	}
	return dir, backup, want, later, wal
}

// A restore over a store with later writes and a leftover -wal gives
// exactly the backup's content; the replaced database and its -wal are
// kept aside (and open, with the later writes); the restored file is 0600.
func TestRestoreGivesExactlyTheBackupAndKeepsWhatItReplaced(t *testing.T) {
	dir, backup, want, later, wal := withLaterWrites(t)
	replaced, err := os.ReadFile(filepath.Join(dir, localapi.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	// The danger is real: the backup copied by hand over the database of
	// a copy of the directory, the -wal left, gives neither the backup nor
	// the store it replaced.
	byHand := filepath.Join(t.TempDir(), "by-hand")
	if err := os.Mkdir(byHand, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{localapi.DBFile: mustRead(t, backup), localapi.DBFile + "-wal": wal,
		localapi.MasterKeyFile: mustRead(t, filepath.Join(dir, localapi.MasterKeyFile))} {
		if err := os.WriteFile(filepath.Join(byHand, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := storeValues(t, byHand); maps.Equal(got, want) {
		t.Fatal("a copy by hand beside the old -wal gave the backup's content; the test proves little")
	}
	r, err := localapi.Restore(t.Context(), dir, backup)
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, localapi.DBFile)
	if r.Database != db || r.Backup != backup || r.Teams != 1 || r.Values != len(want) ||
		r.KeySource != filepath.Join(dir, localapi.MasterKeyFile) || r.Version != r.Current || r.Current != sqlite.SchemaVersion() {
		t.Fatalf("report %+v", r)
	}
	if filepath.Dir(r.Aside) != dir || !strings.HasPrefix(filepath.Base(r.Aside), "before-restore-") ||
		!slices.Equal(r.Moved, []string{localapi.DBFile, localapi.DBFile + "-wal"}) {
		t.Fatalf("moved aside: %s %v", r.Aside, r.Moved)
	}
	for _, leftover := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(db + leftover); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s is beside the restored database: %v", leftover, err)
		}
	}
	if st, err := os.Stat(db); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("restored database: %v %v", st.Mode(), err)
	}
	if got := storeValues(t, dir); !maps.Equal(got, want) {
		t.Fatalf("restored store holds %v, want the backup's %v", got, want)
	}
	// What was replaced is kept, byte for byte, and opens as the store it
	// was, later writes and all.
	if b, _ := os.ReadFile(filepath.Join(r.Aside, localapi.DBFile)); !bytes.Equal(b, replaced) {
		t.Fatal("the database moved aside is not the one replaced")
	}
	if b, _ := os.ReadFile(filepath.Join(r.Aside, localapi.DBFile+"-wal")); !bytes.Equal(b, wal) {
		t.Fatal("the -wal moved aside is not the one left")
	}
	aside := filepath.Join(t.TempDir(), "aside")
	if err := os.Rename(r.Aside, aside); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(aside, localapi.MasterKeyFile), mustRead(t, filepath.Join(dir, localapi.MasterKeyFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := storeValues(t, aside); !maps.Equal(got, later) {
		t.Fatalf("the store moved aside holds %v, want %v", got, later)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Refusals change nothing in the data directory and leave no file behind:
// a server running on it (saying so), a backup whose key check does not
// open with the master key, a file that is not a backup, a backup made by
// a newer program, a missing master key.
func TestRestoreRefusalsChangeNothing(t *testing.T) {
	dir, backup, _, later, _ := withLaterWrites(t)
	before := dirFiles(t, dir)
	refuse := func(want error, says ...string) {
		t.Helper()
		_, err := localapi.Restore(t.Context(), dir, backup)
		if !errors.Is(err, want) {
			t.Fatalf("restore: %v, want %v", err, want)
		}
		for _, s := range append(says, "nothing was changed") {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%q does not say %q", err, s)
			}
		}
		if strings.Contains(err.Error(), canary) {
			t.Fatal("the refusal holds a value")
		}
		sameFiles(t, dir, before, "a refused restore")
		if entries, _ := os.ReadDir(dir); slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.IsDir() }) {
			t.Fatalf("a refused restore made a directory: %v", entries)
		}
	}

	// A server holds the directory.
	unlock, err := sqlite.LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	refuse(localapi.ErrServerRunning, "server is running on "+dir, "stop it first")
	unlock()

	// Another master key.
	right := mustRead(t, filepath.Join(dir, localapi.MasterKeyFile))
	t.Setenv(localapi.MasterKeyEnv, randomKeyBase64())
	refuse(localapi.ErrWrongMasterKey, "does not open with the master key from "+localapi.MasterKeyEnv, "made under another key")
	t.Setenv(localapi.MasterKeyEnv, "")
	if err := os.WriteFile(filepath.Join(dir, localapi.MasterKeyFile), []byte(randomKeyBase64()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before = dirFiles(t, dir)
	refuse(localapi.ErrWrongMasterKey, "does not open with the master key from "+filepath.Join(dir, localapi.MasterKeyFile))
	if err := os.Remove(filepath.Join(dir, localapi.MasterKeyFile)); err != nil {
		t.Fatal(err)
	}
	before = dirFiles(t, dir)
	refuse(localapi.ErrMasterKeyMissing, "no master key to check the backup with")
	if err := os.WriteFile(filepath.Join(dir, localapi.MasterKeyFile), right, 0o600); err != nil {
		t.Fatal(err)
	}
	before = dirFiles(t, dir)

	// Not a backup: text, and a database of something else.
	if err := os.WriteFile(backup, []byte("not a database at all, but long enough to look like a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	refuse(localapi.ErrNotABackup, backup)

	// A newer program's store.
	newer := serverStore(t)
	if _, err := sqlite.MigrateAheadForTest(t.Context(), newer); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(backup, mustRead(t, filepath.Join(newer, localapi.DBFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	refuse(localapi.ErrSchemaAhead, "newer than this program's", "Restore it with that version")

	// After all that, the store is the one it was, -wal and all.
	if got := storeValues(t, dir); !maps.Equal(got, later) {
		t.Fatalf("after refused restores the store holds %v, want %v", got, later)
	}
}

// A restore into a data directory without a database (it was lost) works,
// with nothing to move aside; run by root, the restored file gets the data
// directory's owner and group. The backup's path may hold '?', '#' and
// "%41".
func TestRestoreIntoADirectoryWithoutADatabase(t *testing.T) {
	dir := serverStore(t)
	want := storeValues(t, dir)
	odd := filepath.Join(t.TempDir(), "b?#%41")
	if err := os.Mkdir(odd, 0o700); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(odd, "a#1?.db")
	st, err := localapi.Open(dir, localapi.AsBackup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Backup(t.Context(), backup); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := os.Remove(filepath.Join(dir, localapi.DBFile)); err != nil {
		t.Fatal(err)
	}
	refused(t, dir, localapi.ErrDatabaseMissing)
	asRoot := os.Geteuid() == 0
	if asRoot {
		if err := os.Chown(dir, 4321, 4322); err != nil {
			t.Fatal(err)
		}
	}
	r, err := localapi.Restore(t.Context(), dir, backup)
	if err != nil {
		t.Fatal(err)
	}
	if r.Aside != "" || len(r.Moved) != 0 {
		t.Fatalf("moved aside %s %v from a directory without a database", r.Aside, r.Moved)
	}
	info, err := os.Stat(r.Database)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("restored database: %v", err)
	}
	if sys, ok := info.Sys().(*syscall.Stat_t); asRoot && ok && (sys.Uid != 4321 || sys.Gid != 4322) {
		t.Fatalf("restored database owned by %d:%d, want the data directory's 4321:4322", sys.Uid, sys.Gid)
	}
	if got := storeValues(t, dir); !maps.Equal(got, want) {
		t.Fatalf("restored %v, want %v", got, want)
	}
	if entries, _ := os.ReadDir(dir); slices.ContainsFunc(entries, func(e os.DirEntry) bool { return strings.HasPrefix(e.Name(), ".restore-") }) {
		t.Fatalf("a temporary file was left: %v", entries)
	}
	if entries, _ := os.ReadDir(odd); len(entries) != 1 {
		t.Fatalf("the backup's directory holds %v, want the backup alone", entries)
	}
}
