package localapi_test

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"teamsecrets/localapi"
)

// restore puts a backup in a new data directory as README says (the
// backup as teamsecrets.db, no -wal or -shm, master.key beside it) and
// returns the directory.
func restore(t *testing.T, backup string, masterKey []byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "restored")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, localapi.DBFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, localapi.MasterKeyFile), masterKey, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A backup holds every value and, restored beside its master key, opens as
// the store did; a second backup to the same file is refused.
func TestBackupRestoresBesideItsMasterKey(t *testing.T) {
	dir := serverStore(t)
	st, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := values(t, st)
	path := filepath.Join(t.TempDir(), "backup.db")
	r, err := st.Backup(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Path != path || r.Teams != 1 || r.Values != 2 || r.Bytes == 0 || r.KeySource != filepath.Join(dir, localapi.MasterKeyFile) {
		t.Fatalf("report %+v", r)
	}
	if _, err := st.Backup(t.Context(), path); !errors.Is(err, localapi.ErrBackupExists) {
		t.Fatalf("backup over an existing file: %v", err)
	}
	key, _ := os.ReadFile(filepath.Join(dir, localapi.MasterKeyFile))
	restored := restore(t, path, key)
	got := onlyKey(t, restored, decodeKey(t, keyLines(t, restored)[0]))
	if !maps.Equal(got, want) {
		t.Fatalf("restored %v, want %v", got, want)
	}
	// Without its key the backup is refused, as the store would be.
	if err := os.Remove(filepath.Join(restored, localapi.MasterKeyFile)); err != nil {
		t.Fatal(err)
	}
	refused(t, restored, localapi.ErrMasterKeyMissing)
}

// After a rotation a backup opens with the new key; one made before needs
// the old key.
func TestBackupsFollowTheKeyTheyWereMadeUnder(t *testing.T) {
	dir := serverStore(t)
	oldKey, _ := os.ReadFile(filepath.Join(dir, localapi.MasterKeyFile))
	st, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	before := filepath.Join(t.TempDir(), "before.db")
	if _, err := st.Backup(t.Context(), before); err != nil {
		t.Fatal(err)
	}
	// Rotated by another process (here, another store): this one's backup
	// follows the new key.
	other, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.RotateMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	other.Close()
	newKey, _ := os.ReadFile(filepath.Join(dir, localapi.MasterKeyFile))
	after := filepath.Join(t.TempDir(), "after.db")
	if _, err := st.Backup(t.Context(), after); err != nil {
		t.Fatalf("backup after a rotation beside it: %v", err)
	}
	onlyKey(t, restore(t, after, newKey), decodeKey(t, string(newKey[:44])))
	onlyKey(t, restore(t, before, oldKey), decodeKey(t, string(oldKey[:44])))
	refused(t, restore(t, before, newKey), localapi.ErrWrongMasterKey)
}

// go test -run '^$' -bench BenchmarkBackup10k ./localapi
func BenchmarkBackup10k(b *testing.B) {
	st, _ := storeOf10k(b)
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		r, err := st.Backup(b.Context(), filepath.Join(dir, fmt.Sprintf("backup-%d.db", i)))
		if err != nil || r.Values != 10000 {
			b.Fatal(r, err)
		}
		b.ReportMetric(float64(r.Bytes), "bytes/backup")
	}
}
