package sqlite_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strconv"
	"testing"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/sqlite"
)

// Ready follows the schema version of the file as it is now: a version
// below this program's (a restored older copy) or above it (a newer
// program migrated it) is ErrSchemaNotCurrent, and the store is ready
// again as soon as the version is back.
func TestReadyFollowsTheSchemaVersion(t *testing.T) {
	dir := t.TempDir()
	b, err := sqlite.Open(dir, sqlite.Options{Create: true, Own: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Ready(t.Context()); err != nil {
		t.Fatalf("new store: %v", err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var current int
	if err := raw.QueryRow(`PRAGMA user_version`).Scan(&current); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{current - 1, current + 1} {
		if _, err := raw.Exec(`PRAGMA user_version = ` + strconv.Itoa(v)); err != nil {
			t.Fatal(err)
		}
		if err := b.Ready(t.Context()); !errors.Is(err, store.ErrSchemaNotCurrent) {
			t.Fatalf("at version %d (current %d): %v, want ErrSchemaNotCurrent", v, current, err)
		}
	}
	if _, err := raw.Exec(`PRAGMA user_version = ` + strconv.Itoa(current)); err != nil {
		t.Fatal(err)
	}
	if err := b.Ready(t.Context()); err != nil {
		t.Fatalf("version restored: %v", err)
	}
}
