package localapi

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/sqlite"
)

// A backend without an online backup of its own (PostgreSQL, which
// pg_dump backs up) is refused, pointing to pg_dump, and nothing is
// written.
func TestBackupRefusesABackendWithoutOnlineBackup(t *testing.T) {
	dir := t.TempDir()
	b, err := sqlite.Open(dir, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	type otherBackend struct{ store.Backend } // has no Backup method
	s, err := newStore(t.Context(), otherBackend{b}, dir, false, false, func(bool) (masterKey, error) {
		return masterKey{keys: [][]byte{bytes.Repeat([]byte{1}, 32)}, source: "the test"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	path := filepath.Join(t.TempDir(), "backup.db")
	_, err = s.Backup(t.Context(), path)
	if !errors.Is(err, ErrNoOnlineBackup) || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("backup of a backend without online backup: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused backup wrote a file")
	}
}
