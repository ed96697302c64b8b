package postgres

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/pgtest"
)

// raw is a plain connection to the test's database, for looking under the
// backend.
func raw(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// versions counts goose's record of each version applied.
func versions(t *testing.T, conn *pgx.Conn) map[int64]int {
	t.Helper()
	rows, err := conn.Query(t.Context(), `SELECT version_id FROM goose_db_version WHERE is_applied`)
	if err != nil {
		t.Fatal(err)
	}
	seen, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]int{}
	for _, v := range seen {
		out[v]++
	}
	return out
}

func migrationCount(t *testing.T) int {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	return len(files)
}

// openerEnv makes the test binary, run by TestOpenersMigrateOnce, open the
// store at its URL and exit.
const openerEnv = "TEAMSECRETS_PGTEST_OPEN"

func TestOpenerProcess(t *testing.T) {
	url := os.Getenv(openerEnv)
	if url == "" {
		t.Skip("run by TestOpenersMigrateOnce")
	}
	db, err := Open(t.Context(), url, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

// Instances starting together on a fresh database (goroutines and another
// process) all open it, and each migration runs once.
func TestOpenersMigrateOnce(t *testing.T) {
	url := pgtest.URL(t)
	const n = 8
	child := exec.Command(os.Args[0], "-test.run=^TestOpenerProcess$", "-test.v")
	child.Env = append(os.Environ(), openerEnv+"="+url)
	var childOut strings.Builder
	child.Stdout, child.Stderr = &childOut, &childOut
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			db, err := Open(t.Context(), url, Options{Create: true})
			if err == nil {
				err = db.Ready(t.Context())
				db.Close()
			}
			errs <- err
		})
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("an opener failed: %v", err)
		}
	}
	if err := child.Wait(); err != nil || !strings.Contains(childOut.String(), "--- PASS: TestOpenerProcess") {
		t.Fatalf("the opener process: %v\n%s", err, childOut.String())
	}
	got := versions(t, raw(t, url))
	if len(got) != migrationCount(t)+1 { // and goose's version 0
		t.Fatalf("versions recorded: %v, want 0 to %d", got, migrationCount(t))
	}
	for v, times := range got {
		if times != 1 {
			t.Fatalf("version %d recorded %d times: %v", v, times, got)
		}
	}
}

// Without Create, a database without a store is refused and left as it
// was; with it, the store is made, and opened again without Create.
func TestOpenWithoutCreateMakesNothing(t *testing.T) {
	url := pgtest.URL(t)
	if _, err := Open(t.Context(), url, Options{}); !errors.Is(err, ErrNoStore) {
		t.Fatalf("empty database: %v, want ErrNoStore", err)
	}
	conn := raw(t, url)
	var tables int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("the refused open made %d tables (%v)", tables, err)
	}
	db, err := Open(t.Context(), url, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(t.Context(), url, Options{})
	if err != nil {
		t.Fatalf("a store, without Create: %v", err)
	}
	db.Close()
}

// Ready and Check see a schema that is not current, and Check an audit
// trail that is no longer append-only.
func TestReadyAndCheckSeeWhatIsWrong(t *testing.T) {
	url := pgtest.URL(t)
	db := openURL(t, url)
	ctx := t.Context()
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	conn := raw(t, url)
	if _, err := conn.Exec(ctx, `ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only`); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err == nil || !strings.Contains(err.Error(), "not append-only") {
		t.Fatalf("Check with the trigger disabled: %v", err)
	}
	if _, err := conn.Exec(ctx, `ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only`); err != nil {
		t.Fatal(err)
	}
	// A newer migration not applied: as if another instance's binary were
	// older than this one's.
	last := int64(migrationCount(t))
	if _, err := conn.Exec(ctx, `DELETE FROM goose_db_version WHERE version_id = $1`, last); err != nil {
		t.Fatal(err)
	}
	if err := db.Ready(ctx); !errors.Is(err, store.ErrSchemaNotCurrent) {
		t.Fatalf("Ready with a migration pending: %v", err)
	}
	if err := db.Check(ctx); err == nil || !strings.Contains(err.Error(), "pending") {
		t.Fatalf("Check with a migration pending: %v", err)
	}
}

func openURL(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(t.Context(), url, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
