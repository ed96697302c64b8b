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

// The suite again on databases whose default isolation is REPEATABLE READ
// (an operator's or a managed service's setting): the backend's
// transactions must not depend on the default. Under it, a reseal would
// read a snapshot from before the writers it waited for, and concurrent
// writes of one name would fail to serialize.
func TestBackendSuiteWithRepeatableReadByDefault(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend {
		url := pgtest.URL(t)
		conn := raw(t, url)
		if _, err := conn.Exec(t.Context(), `DO $$ BEGIN
			EXECUTE format('ALTER DATABASE %I SET default_transaction_isolation TO %L', current_database(), 'repeatable read');
			END $$`); err != nil {
			t.Fatal(err)
		}
		var level string
		if err := raw(t, url).QueryRow(t.Context(), `SHOW default_transaction_isolation`).Scan(&level); err != nil || level != "repeatable read" {
			t.Fatalf("the database's default isolation %q, %v", level, err)
		}
		db, err := Open(t.Context(), url, Options{Create: true})
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}
