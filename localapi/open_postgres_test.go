package localapi_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"teamsecrets/localapi"
	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/pgtest"
	"teamsecrets/localapi/store/postgres"
)

// pgRefused opens the store at databaseURL with dataDir in each mode and
// wants a refusal of kind want saying each of says, never the URL's
// password nor a value.
func pgRefused(t *testing.T, databaseURL, dataDir string, modes []localapi.Mode, want error, says ...string) {
	t.Helper()
	u, _ := url.Parse(databaseURL)
	password, _ := u.User.Password()
	for _, mode := range modes {
		st, err := localapi.OpenPostgres(t.Context(), databaseURL, dataDir, mode, localapi.CreateStore())
		if err == nil {
			st.Close()
			t.Fatalf("mode %d: opened, want a refusal (%v)", mode, want)
		}
		if !errors.Is(err, want) {
			t.Fatalf("mode %d: %v, want %v", mode, err, want)
		}
		for _, s := range says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("mode %d: message %q does not say %q", mode, err, s)
			}
		}
		if password == "" || strings.Contains(err.Error(), password) || strings.Contains(err.Error(), canary) {
			t.Fatalf("mode %d: the message holds the password or a value (or the test URL has no password): %v", mode, err)
		}
	}
}

var bothModes = []localapi.Mode{localapi.AsServer, localapi.AsAdmin}

// holdsStore reports whether the database holds a store, changing nothing.
func holdsStore(t *testing.T, databaseURL string) bool {
	t.Helper()
	db, err := postgres.Open(t.Context(), databaseURL, postgres.Options{Schema: store.ReadOlder})
	if errors.Is(err, postgres.ErrNoStore) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return true
}

// The refusals of a data directory, for a database: an admin command at a
// database without a store, master.key beside a database without one, a
// wrong or missing master key. Each says what to do, never the password.
func TestPostgresStoreRefusals(t *testing.T) {
	t.Setenv(localapi.MasterKeyEnv, "")
	databaseURL := pgtest.URL(t)
	redacted := localapi.RedactDatabaseURL(databaseURL)

	pgRefused(t, databaseURL, t.TempDir(), []localapi.Mode{localapi.AsAdmin}, localapi.ErrNoStore,
		redacted, "holds no Team Secrets store", "--database-url", "Only the server")
	withKey := t.TempDir()
	if err := os.WriteFile(filepath.Join(withKey, localapi.MasterKeyFile), []byte(randomKeyBase64()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pgRefused(t, databaseURL, withKey, bothModes, localapi.ErrDatabaseMissing,
		redacted, filepath.Join(withKey, localapi.MasterKeyFile), "restore the database", "move master.key out of")
	if holdsStore(t, databaseURL) {
		t.Fatal("a refused open made a store")
	}

	// The server makes the store, and its key in the data directory.
	dir := filepath.Join(t.TempDir(), "data")
	st, err := localapi.OpenPostgres(t.Context(), databaseURL, dir, localapi.AsServer, localapi.CreateStore())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := localapi.Bootstrap(t.Context(), st, ""); err != nil {
		t.Fatal(err)
	}
	team, _ := st.TenantBySlug(t.Context(), "default")
	if err := st.PutSecret(t.Context(), team.ID, "A", []byte(`"`+canary+`"`)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if entries, _ := os.ReadDir(dir); len(entries) != 1 || entries[0].Name() != localapi.MasterKeyFile {
		t.Fatalf("the data directory holds %v, want master.key alone (no database, no lock)", entries)
	}
	right, _ := os.ReadFile(filepath.Join(dir, localapi.MasterKeyFile))

	t.Setenv(localapi.MasterKeyEnv, randomKeyBase64())
	pgRefused(t, databaseURL, dir, bothModes, localapi.ErrWrongMasterKey,
		redacted, "TEAMSECRETS_MASTER_KEY", "every instance serving the store needs its key", "No value was served or written")
	t.Setenv(localapi.MasterKeyEnv, "")
	empty := t.TempDir()
	pgRefused(t, databaseURL, empty, bothModes, localapi.ErrMasterKeyMissing,
		redacted, "master key is missing", empty, "the same on every instance")
	if _, err := os.Stat(filepath.Join(empty, localapi.MasterKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a new master.key was made for an existing store: %v", err)
	}
	// The store's key, from the environment, opens it with any data
	// directory; and an admin command then works on it.
	t.Setenv(localapi.MasterKeyEnv, strings.TrimSpace(string(right)))
	st, err = localapi.OpenPostgres(t.Context(), databaseURL, empty, localapi.AsAdmin, localapi.CreateStore())
	if err != nil {
		t.Fatalf("the right key from the environment: %v", err)
	}
	defer st.Close()
	if r, err := st.Check(t.Context()); err != nil || r.Values != 1 || r.Teams != 1 {
		t.Fatalf("store check: %+v, %v", r, err)
	}
}

// Instances with data directories of their own and no
// TEAMSECRETS_MASTER_KEY, starting together on an empty database: the
// first to store the key check gives the store its key; every other one
// is refused (its new key is wrong, or, coming later, it has none), and
// keeps no master.key of its own, so its next start says the key is
// missing. With the first one's key it starts.
func TestInstancesWithTheirOwnNewKeysAreRefusedButOne(t *testing.T) {
	t.Setenv(localapi.MasterKeyEnv, "")
	databaseURL := pgtest.URL(t)
	const n = 6
	dirs := make([]string, n)
	stores := make([]*localapi.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		dirs[i] = t.TempDir()
		wg.Go(func() {
			stores[i], errs[i] = localapi.OpenPostgres(t.Context(), databaseURL, dirs[i], localapi.AsServer, localapi.CreateStore())
		})
	}
	wg.Wait()
	winner := -1
	for i := range n {
		switch {
		case errs[i] == nil:
			if winner >= 0 {
				t.Fatalf("instances %d and %d both started, each with its own new key", winner, i)
			}
			winner = i
			defer stores[i].Close()
		case errors.Is(errs[i], localapi.ErrWrongMasterKey):
			if !strings.Contains(errs[i].Error(), "every instance serving the store needs its key") || !strings.Contains(errs[i].Error(), "was removed") {
				t.Errorf("instance %d: %v", i, errs[i])
			}
		case !errors.Is(errs[i], localapi.ErrMasterKeyMissing):
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		if _, err := os.Stat(filepath.Join(dirs[i], localapi.MasterKeyFile)); (err == nil) != (errs[i] == nil) {
			t.Fatalf("instance %d (refused: %v): its master.key: %v", i, errs[i], err)
		}
	}
	if winner < 0 {
		t.Fatal("no instance started")
	}
	loser := (winner + 1) % n
	pgRefused(t, databaseURL, dirs[loser], []localapi.Mode{localapi.AsServer}, localapi.ErrMasterKeyMissing, "the same on every instance")
	key, _ := os.ReadFile(filepath.Join(dirs[winner], localapi.MasterKeyFile))
	if err := os.WriteFile(filepath.Join(dirs[loser], localapi.MasterKeyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := localapi.OpenPostgres(t.Context(), databaseURL, dirs[loser], localapi.AsServer, localapi.CreateStore())
	if err != nil {
		t.Fatalf("with the first instance's key: %v", err)
	}
	again.Close()
}

// Instances starting together on an empty database bootstrap it once: one
// makes team default and the key, the others neither fail nor make more.
func TestInstancesBootstrapAnEmptyDatabaseOnce(t *testing.T) {
	databaseURL := pgtest.URL(t)
	key := bytes.Repeat([]byte{3}, 32)
	const n = 6
	stores := make([]*localapi.Store, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = localapi.OpenPostgresStore(t.Context(), databaseURL, key)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	created := make([]bool, n)
	keys := make([]string, n)
	for i := range n {
		wg.Go(func() {
			keys[i], created[i], errs[i] = localapi.Bootstrap(t.Context(), stores[i], "")
		})
	}
	wg.Wait()
	made := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("instance %d: bootstrap: %v", i, errs[i])
		}
		if created[i] {
			made++
		}
	}
	if made != 1 {
		t.Fatalf("%d instances bootstrapped the store, want 1", made)
	}
	teams, err := stores[0].Tenants(t.Context())
	if err != nil || len(teams) != 1 || teams[0].Slug != "default" {
		t.Fatalf("teams: %+v, %v", teams, err)
	}
	if role, err := stores[n-1].MemberRole(t.Context(), "default", "admin"); err != nil || role != localapi.RoleTenantAdmin {
		t.Fatalf("admin: %q, %v", role, err)
	}
}

// Instances share every write at once: no instance keeps names in memory.
func TestInstancesSeeEachOthersWritesAtOnce(t *testing.T) {
	databaseURL := pgtest.URL(t)
	key := bytes.Repeat([]byte{4}, 32)
	a, err := localapi.OpenPostgresStore(t.Context(), databaseURL, key)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := localapi.OpenPostgresStore(t.Context(), databaseURL, key)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	team, err := a.CreateTenant(t.Context(), "alpha", "")
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"ONE", "TWO", "THREE"} {
		writer, reader := a, b
		if i%2 == 1 {
			writer, reader = b, a
		}
		if names, _ := reader.SecretNames(t.Context(), team.ID); slices.Contains(names, name) {
			t.Fatalf("%s listed before it was written", name)
		}
		if err := writer.PutSecret(t.Context(), team.ID, name, []byte(`"v"`)); err != nil {
			t.Fatal(err)
		}
		if names, _ := reader.SecretNames(t.Context(), team.ID); !slices.Contains(names, name) {
			t.Fatalf("%s written by one instance is not listed by the other: %q", name, names)
		}
		if ok, err := reader.DeleteSecret(t.Context(), team.ID, name); !ok || err != nil {
			t.Fatalf("delete %s through the other instance: %v, %v", name, ok, err)
		}
		if names, _ := writer.SecretNames(t.Context(), team.ID); slices.Contains(names, name) {
			t.Fatalf("%s deleted by one instance is still listed by the other", name)
		}
	}
}

// pgVersion is the schema version of the store at databaseURL, read
// without changing anything.
func pgVersion(t *testing.T, databaseURL string) int64 {
	t.Helper()
	db, err := postgres.Open(t.Context(), databaseURL, postgres.Options{Schema: store.RequireCurrent})
	var se *store.SchemaError
	if errors.As(err, &se) {
		return se.Have
	}
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return postgres.SchemaVersion()
}

// On PostgreSQL too, admin commands never migrate: a store a schema
// version behind (an older instance serving it) is refused, left at its
// version; `store backup` opens it read-only (and then points to pg_dump);
// a newer store is refused by both. The server migrates.
func TestPostgresAdminCommandsNeverMigrate(t *testing.T) {
	t.Setenv(localapi.MasterKeyEnv, randomKeyBase64())
	databaseURL := pgtest.URL(t)
	dir := t.TempDir()
	st, err := localapi.OpenPostgres(t.Context(), databaseURL, dir, localapi.AsServer, localapi.CreateStore())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	last := postgres.SchemaVersion()
	if err := postgres.MigrateDownForTest(t.Context(), databaseURL, last-1); err != nil {
		t.Fatal(err)
	}
	behind := fmt.Sprintf("schema version %d, older than this program's (%d)", last-1, last)
	pgRefused(t, databaseURL, dir, []localapi.Mode{localapi.AsAdmin}, localapi.ErrSchemaBehind,
		localapi.RedactDatabaseURL(databaseURL), behind, "admin commands never migrate", "Start this version's server",
		"pg_dump backs up the store as it is")
	if v := pgVersion(t, databaseURL); v != last-1 {
		t.Fatalf("after a refused admin open the store is at version %d, want %d", v, last-1)
	}
	st, err = localapi.OpenPostgres(t.Context(), databaseURL, dir, localapi.AsBackup, localapi.CreateStore())
	if err != nil {
		t.Fatalf("AsBackup, an older store: %v", err)
	}
	_, err = st.Backup(t.Context(), filepath.Join(t.TempDir(), "b.db"))
	st.Close()
	if !errors.Is(err, localapi.ErrNoOnlineBackup) {
		t.Fatalf("backup of a PostgreSQL store: %v", err)
	}
	if v := pgVersion(t, databaseURL); v != last-1 {
		t.Fatalf("after AsBackup the store is at version %d, want %d", v, last-1)
	}

	st, err = localapi.OpenPostgres(t.Context(), databaseURL, dir, localapi.AsServer, localapi.CreateStore())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if v := pgVersion(t, databaseURL); v != last {
		t.Fatalf("the server left the store at version %d, want %d", v, last)
	}
	st, err = localapi.OpenPostgres(t.Context(), databaseURL, dir, localapi.AsAdmin, localapi.CreateStore())
	if err != nil {
		t.Fatalf("AsAdmin once the server migrated: %v", err)
	}
	st.Close()

	v, err := postgres.MigrateAheadForTest(t.Context(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	pgRefused(t, databaseURL, dir, []localapi.Mode{localapi.AsAdmin, localapi.AsBackup}, localapi.ErrSchemaAhead,
		fmt.Sprintf("schema version %d, newer than this program's (%d)", v, last), "Use that version's binary")
}

// Without CreateStore a server refuses a database that holds no store (a
// mistyped URL, a restore not finished) and creates nothing in it; admin
// commands refuse it whatever the options.
func TestEmptyDatabaseNeedsCreateStore(t *testing.T) {
	databaseURL := pgtest.URL(t)
	t.Setenv(localapi.MasterKeyEnv, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x42}, 32)))
	dir := t.TempDir()
	st, err := localapi.OpenPostgres(t.Context(), databaseURL, dir, localapi.AsServer)
	if err == nil {
		st.Close()
		t.Fatal("a server made a store in an empty database without CreateStore")
	}
	if !errors.Is(err, localapi.ErrNoStore) || !strings.Contains(err.Error(), "--create-store") {
		t.Fatalf("refusal: %v", err)
	}
	conn, err := pgx.Connect(t.Context(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var tables int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("the refused open left %d tables (%v)", tables, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the refused open wrote %v into the data directory", entries)
	}
	st, err = localapi.OpenPostgres(t.Context(), databaseURL, dir, localapi.AsServer, localapi.CreateStore())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}
