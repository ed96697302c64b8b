package postgres

import (
	"testing"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/pgtest"
	"teamsecrets/localapi/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open makes a store in a new database, closed when the test ends.
func open(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), pgtest.URL(t), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestBackendSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend {
		db, err := Open(t.Context(), pgtest.URL(t), Options{Create: true})
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}
