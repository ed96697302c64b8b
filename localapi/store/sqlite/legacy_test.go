package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"teamsecrets/localapi/store"
)

// legacyMigrations are the migrations as the code before goose ran them:
// each in a transaction, counted in PRAGMA user_version. Frozen: they make
// the stores the old code left, which Open must adopt.
var legacyMigrations = []string{
	`CREATE TABLE tenant (
		id TEXT PRIMARY KEY,
		slug TEXT NOT NULL UNIQUE,
		name TEXT NOT NULL,
		created_at TEXT NOT NULL
	);
	CREATE TABLE user (
		id TEXT PRIMARY KEY,
		username TEXT NOT NULL UNIQUE,
		email TEXT NOT NULL DEFAULT '',
		created_at TEXT NOT NULL
	);
	CREATE TABLE membership (
		id TEXT PRIMARY KEY,
		user_id TEXT NOT NULL REFERENCES user(id),
		tenant_id TEXT NOT NULL REFERENCES tenant(id),
		role TEXT NOT NULL,
		UNIQUE (user_id, tenant_id)
	);
	CREATE TABLE api_key (
		id TEXT PRIMARY KEY,
		hash TEXT NOT NULL UNIQUE,
		user_id TEXT REFERENCES user(id),
		tenant_id TEXT NOT NULL REFERENCES tenant(id),
		role TEXT NOT NULL,
		created_at TEXT NOT NULL
	);
	CREATE TABLE secret (
		tenant_id TEXT NOT NULL REFERENCES tenant(id),
		name TEXT NOT NULL,
		sealed BLOB NOT NULL,
		updated_at TEXT NOT NULL,
		PRIMARY KEY (tenant_id, name)
	) WITHOUT ROWID;
	-- The list order: case-insensitive, then exact, so the UI need not sort.
	CREATE INDEX secret_by_folded_name ON secret (tenant_id, name COLLATE NOCASE, name);`,

	// The master key check (name 'key_check': a sealed known value).
	`CREATE TABLE meta (
		name TEXT PRIMARY KEY,
		value BLOB NOT NULL
	) WITHOUT ROWID;`,

	// API keys: a name, an expiry, a coarse last use, who made it; lists by
	// team and by user.
	`ALTER TABLE api_key ADD COLUMN name TEXT NOT NULL DEFAULT '';
	ALTER TABLE api_key ADD COLUMN expires_at TEXT;
	ALTER TABLE api_key ADD COLUMN last_used_at TEXT;
	ALTER TABLE api_key ADD COLUMN created_by TEXT;
	CREATE INDEX api_key_by_tenant ON api_key (tenant_id);
	CREATE INDEX api_key_by_user ON api_key (user_id);`,

	// Secret metadata for the list: when a name was first written, who
	// wrote the current value, and an index to page by last write.
	// Existing secrets count as created when last updated, by nobody known.
	`ALTER TABLE secret ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
	ALTER TABLE secret ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
	UPDATE secret SET created_at = updated_at;
	CREATE INDEX secret_by_updated ON secret (tenant_id, updated_at, name);`,

	// The audit trail (audit.go): append-only; retention deletes the oldest.
	`CREATE TABLE audit_event (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		at TEXT NOT NULL,
		tenant_id TEXT NOT NULL DEFAULT '',
		actor TEXT NOT NULL DEFAULT '',
		key_id TEXT NOT NULL DEFAULT '',
		key_name TEXT NOT NULL DEFAULT '',
		action TEXT NOT NULL,
		secret TEXT NOT NULL DEFAULT '',
		target TEXT NOT NULL DEFAULT '',
		outcome TEXT NOT NULL,
		request_id TEXT NOT NULL DEFAULT '',
		client_addr TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX audit_by_tenant ON audit_event (tenant_id, id);
	CREATE INDEX audit_by_secret ON audit_event (tenant_id, secret, id);
	CREATE INDEX audit_by_time ON audit_event (at);
	CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event
	BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;`,
}

// legacyStore makes in a new data directory the store the old code left
// at version n (its first n migrations, user_version n), with a team, a
// secret and, from version 3, a named key.
func legacyStore(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for i, m := range legacyMigrations[:n] {
		tx, err := raw.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(m); err != nil {
			t.Fatalf("legacy migration %d: %v", i+1, err)
		}
		if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, i+1)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	insertSecret := `INSERT INTO secret (tenant_id, name, sealed, updated_at) VALUES ('t1', 'OLD', x'00', '2024-05-06T07:08:09.5Z')`
	if n >= 4 {
		insertSecret = `INSERT INTO secret (tenant_id, name, sealed, created_at, updated_at) VALUES ('t1', 'OLD', x'00', '2024-05-06T07:08:09.5Z', '2024-05-06T07:08:09.5Z')`
	}
	for _, q := range []string{
		`INSERT INTO tenant (id, slug, name, created_at) VALUES ('t1', 'old', 'Old', '2024-05-06T07:08:09Z')`,
		insertSecret,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if n >= 3 {
		if _, err := raw.Exec(`INSERT INTO api_key (id, hash, tenant_id, role, created_at, name) VALUES ('k1', 'h1', 't1', 'USER', '2024-05-06T07:08:09Z', 'ci')`); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// schema is the database's schema as comparable text: every object's SQL
// with its whitespace collapsed, goose's own table left out.
func schema(t *testing.T, dir string) []string {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT type, name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'goose%' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	space := regexp.MustCompile(`\s+`)
	var out []string
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			t.Fatal(err)
		}
		text = strings.ReplaceAll(space.ReplaceAllString(text, " "), "( ", "(")
		out = append(out, typ+" "+name+": "+text)
	}
	return out
}

// gooseVersions counts goose's record of each version applied, and reads
// user_version.
func gooseVersions(t *testing.T, dir string) (map[int64]int, int) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT version_id FROM ` + versionTable + ` WHERE is_applied`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[int64]int{}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		seen[v]++
	}
	var uv int
	if err := raw.QueryRow(`PRAGMA user_version`).Scan(&uv); err != nil {
		t.Fatal(err)
	}
	return seen, uv
}

// A store the old code left at each version opens: the migrations it ran
// are recorded once in goose's table and not run again (a second run of
// any would fail: tables and columns exist), the rest run, and it ends
// with a new store's schema, its data kept.
func TestLegacyStoresAtEveryVersionAreAdopted(t *testing.T) {
	fresh := t.TempDir()
	b, err := Open(fresh, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	want := schema(t, fresh)
	if len(want) < 10 {
		t.Fatalf("a new store's schema: %q", want)
	}
	last := len(legacyMigrations)
	for n := 1; n <= last; n++ {
		t.Run(fmt.Sprint("version ", n), func(t *testing.T) {
			dir := legacyStore(t, n)
			for range 2 { // and again, adopted already
				b, err := Open(dir, Options{})
				if err != nil {
					t.Fatal(err)
				}
				ready := b.(*DB).Ready(t.Context())
				ms, err := b.SecretMetas(t.Context(), "t1", store.SecretQuery{Limit: 10})
				b.Close()
				if ready != nil || err != nil || len(ms) != 1 || ms[0].Name != "OLD" || ms[0].Created.IsZero() {
					t.Fatalf("after opening: ready %v; %+v, %v", ready, ms, err)
				}
			}
			if got := schema(t, dir); !slices.Equal(got, want) {
				t.Fatalf("schema of the adopted store:\n%s\nwant a new store's:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			versions, uv := gooseVersions(t, dir)
			if len(versions) != last+1 || uv != last {
				t.Fatalf("goose's record %v, user_version %d; want 0 to %d once each", versions, uv, last)
			}
			for v, times := range versions {
				if times != 1 {
					t.Fatalf("version %d recorded %d times", v, times)
				}
			}
		})
	}
}

// A new store's goose record and user_version agree; Ready sees a
// migration not applied.
func TestNewStoreRecordsEveryMigrationOnce(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(dir, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	versions, uv := gooseVersions(t, dir)
	if len(versions) != len(legacyMigrations)+1 || uv != len(legacyMigrations) {
		t.Fatalf("goose's record %v, user_version %d", versions, uv)
	}
	db := b.(*DB)
	if err := db.Ready(t.Context()); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	// Ready with the schema behind or ahead: ready_test.go.
}
