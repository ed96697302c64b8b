package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"teamsecrets/localapi/store"
)

// A store made before secrets had metadata opens with each secret created
// when it was last updated, by nobody known.
func TestMigrationGivesOldSecretsCreatedAtUpdated(t *testing.T) {
	dir := t.TempDir()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range legacyMigrations[:2] {
		if _, err := raw.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`PRAGMA user_version = 2`,
		`INSERT INTO tenant (id, slug, name, created_at) VALUES ('t1', 'old', 'Old', '2024-05-06T07:08:09Z')`,
		`INSERT INTO secret (tenant_id, name, sealed, updated_at) VALUES ('t1', 'OLD', x'00', '2024-05-06T07:08:09.5Z')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ms, err := b.SecretMetas(t.Context(), "t1", store.SecretQuery{Limit: 10})
	if err != nil || len(ms) != 1 {
		t.Fatalf("%+v, %v", ms, err)
	}
	m := ms[0]
	if m.Created.IsZero() || !m.Created.Equal(m.Updated) || m.Updated.Format("2006-01-02T15:04:05.0") != "2024-05-06T07:08:09.5" || m.UpdatedBy != "" {
		t.Fatalf("old secret after migration: %+v", m)
	}
}
