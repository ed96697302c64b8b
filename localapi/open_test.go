package localapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

const canary = "CANARY-open-9d41c7"

// serverStore makes a store in a new data directory as the server does
// (master.key generated there), with one team holding secrets A and B, and
// closes it.
func serverStore(t *testing.T) string {
	t.Helper()
	t.Setenv(localapi.MasterKeyEnv, "")
	dir := filepath.Join(t.TempDir(), "data")
	st, err := localapi.Open(dir, localapi.AsServer)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := localapi.Bootstrap(t.Context(), st, ""); err != nil {
		t.Fatal(err)
	}
	team, _ := st.TenantBySlug(t.Context(), "default")
	for _, n := range []string{"A", "B"} {
		if err := st.PutSecret(t.Context(), team.ID, n, []byte(`"`+canary+`"`)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func randomKeyBase64() string {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(200 - i)
	}
	return base64.StdEncoding.EncodeToString(k)
}

// refused opens dir in each mode and wants a refusal of kind want whose
// message holds every one of says (and never a value).
func refused(t *testing.T, dir string, want error, says ...string) {
	t.Helper()
	for _, mode := range []localapi.Mode{localapi.AsServer, localapi.AsAdmin} {
		st, err := localapi.Open(dir, mode)
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
		if strings.Contains(err.Error(), canary) {
			t.Fatal("the message holds a value")
		}
	}
}

func TestWrongMasterKeyIsRefusedSayingWhichKeyAndWhatToDo(t *testing.T) {
	dir := serverStore(t)
	keyPath := filepath.Join(dir, "master.key")
	right, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}

	t.Setenv(localapi.MasterKeyEnv, randomKeyBase64())
	refused(t, dir, localapi.ErrWrongMasterKey, "TEAMSECRETS_MASTER_KEY", "set TEAMSECRETS_MASTER_KEY to the store's key", "No value was served or written")

	t.Setenv(localapi.MasterKeyEnv, "")
	if err := os.WriteFile(keyPath, []byte(randomKeyBase64()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	refused(t, dir, localapi.ErrWrongMasterKey, keyPath, "restore master.key from your backup")

	// The right key, from the file or the environment, opens it.
	if err := os.WriteFile(keyPath, right, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"", strings.TrimSpace(string(right))} {
		t.Setenv(localapi.MasterKeyEnv, env)
		st, err := localapi.Open(dir, localapi.AsServer)
		if err != nil {
			t.Fatalf("the right key (env %v): %v", env != "", err)
		}
		team, _ := st.TenantBySlug(t.Context(), "default")
		if v, err := st.SecretValue(t.Context(), team.ID, "A"); err != nil || string(v) != `"`+canary+`"` {
			t.Fatalf("value under the right key: %v", err)
		}
		st.Close()
	}
}

func TestMissingMasterKeyOfAStoreIsRefusedNeverRegenerated(t *testing.T) {
	dir := serverStore(t)
	keyPath := filepath.Join(dir, "master.key")
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	refused(t, dir, localapi.ErrMasterKeyMissing, dir, "restore master.key from your backup", "TEAMSECRETS_MASTER_KEY")
	if _, err := os.Stat(keyPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a new master.key was made: %v", err)
	}
	if _, err := localapi.LoadMasterKey(dir); !errors.Is(err, localapi.ErrMasterKeyMissing) {
		t.Fatalf("LoadMasterKey on a store without its key: %v", err)
	}
	if _, err := os.Stat(keyPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadMasterKey made a new master.key: %v", err)
	}
}

func TestEmptiedOrMissingDatabaseBesideMasterKeyIsRefused(t *testing.T) {
	for _, how := range []string{"emptied", "deleted"} {
		t.Run(how, func(t *testing.T) {
			dir := serverStore(t)
			db := filepath.Join(dir, localapi.DBFile)
			var err error
			if how == "emptied" {
				err = os.Truncate(db, 0)
			} else {
				err = os.Remove(db)
			}
			if err != nil {
				t.Fatal(err)
			}
			refused(t, dir, localapi.ErrDatabaseMissing, db, "missing or empty", "Restore", "move master.key out of")
			if info, err := os.Stat(db); err == nil && info.Size() > 0 {
				t.Fatal("a new database was made")
			}
		})
	}
}

func TestAdminOpenRefusesADirectoryWithoutAStore(t *testing.T) {
	t.Setenv(localapi.MasterKeyEnv, "")
	for name, dir := range map[string]string{
		"missing directory": filepath.Join(t.TempDir(), "typo"),
		"empty directory":   t.TempDir(),
	} {
		t.Run(name, func(t *testing.T) {
			st, err := localapi.Open(dir, localapi.AsAdmin)
			if err == nil {
				st.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, localapi.ErrNoStore) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "--data-dir") {
				t.Fatalf("refusal: %v", err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 0 {
				t.Fatalf("the refused open left files: %v", entries)
			}
		})
	}
}

// legacy turns the store in dir into one made before the key check, as
// the code of then left it: the schema of the first version, no check
// row, the version in PRAGMA user_version (no goose record).
func legacy(t *testing.T, dir string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, localapi.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`DROP TABLE meta`,
		// Migration 3: API key names, expiry, last use, maker.
		`DROP INDEX api_key_by_tenant`, `DROP INDEX api_key_by_user`,
		`ALTER TABLE api_key DROP COLUMN name`, `ALTER TABLE api_key DROP COLUMN expires_at`,
		`ALTER TABLE api_key DROP COLUMN last_used_at`, `ALTER TABLE api_key DROP COLUMN created_by`,
		// Migration 4: secret metadata.
		`DROP INDEX secret_by_updated`,
		`ALTER TABLE secret DROP COLUMN created_at`, `ALTER TABLE secret DROP COLUMN updated_by`,
		// Migration 5: the audit trail.
		`DROP TABLE audit_event`,
		`DROP TABLE goose_db_version`,
		`PRAGMA user_version = 1`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// swapSealed exchanges two values' sealed bytes: each stays intact, but
// opens in neither row (the row is bound as additional data).
func swapSealed(t *testing.T, dir, a, b string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, localapi.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var va, vb []byte
	db.QueryRow(`SELECT sealed FROM secret WHERE name = ?`, a).Scan(&va)
	db.QueryRow(`SELECT sealed FROM secret WHERE name = ?`, b).Scan(&vb)
	if len(va) == 0 || len(vb) == 0 {
		t.Fatal("no values to swap")
	}
	for name, v := range map[string][]byte{a: vb, b: va} {
		if _, err := db.Exec(`UPDATE secret SET sealed = ? WHERE name = ?`, v, name); err != nil {
			t.Fatal(err)
		}
	}
}

// A store made before the key check gets one on first open, with the key
// it is opened with, only if every value opens with that key.
func TestStoreWithoutKeyCheckGetsOneOnlyIfEveryValueOpens(t *testing.T) {
	dir := serverStore(t)
	right, _ := os.ReadFile(filepath.Join(dir, "master.key"))
	legacy(t, dir)
	// Only the server migrates: an admin command is refused the old
	// schema, whatever the key.
	openRefused(t, dir, localapi.AsAdmin, localapi.ErrSchemaBehind, "schema version 1")
	t.Setenv(localapi.MasterKeyEnv, randomKeyBase64())
	// The server migrates it (then refuses the key); the admin command
	// then finds a current schema without a check, and refuses the key too.
	refused(t, dir, localapi.ErrWrongMasterKey, "2 of its 2 values do not open", "TEAMSECRETS_MASTER_KEY")

	// The right key opens it, and from then on a wrong key is refused by the
	// check alone.
	t.Setenv(localapi.MasterKeyEnv, strings.TrimSpace(string(right)))
	st, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatalf("old store, right key: %v", err)
	}
	st.Close()
	t.Setenv(localapi.MasterKeyEnv, randomKeyBase64())
	refused(t, dir, localapi.ErrWrongMasterKey, "does not open the store's key check")

	// An old store with a damaged value gets no check, under any key.
	t.Setenv(localapi.MasterKeyEnv, "")
	dir = serverStore(t)
	legacy(t, dir)
	swapSealed(t, dir, "A", "B")
	refused(t, dir, localapi.ErrWrongMasterKey, "2 of its 2 values do not open")
}

func TestStoreCheckOpensEveryValueAndNamesOnlyTheUnreadable(t *testing.T) {
	dir := serverStore(t)
	st, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Check(t.Context())
	st.Close()
	if err != nil || r.Teams != 1 || r.Values != 2 || r.Unreadable != 0 {
		t.Fatalf("check of a sound store: %+v, %v", r, err)
	}
	swapSealed(t, dir, "A", "B")
	st, err = localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err = st.Check(t.Context())
	if err == nil || r.Unreadable != 2 || r.Values != 2 ||
		!strings.Contains(err.Error(), "2 of 2 values do not open") || !strings.Contains(err.Error(), "default/A, default/B") {
		t.Fatalf("check of swapped values: %+v, %v", r, err)
	}
	if strings.Contains(err.Error(), canary) {
		t.Fatal("the check's message holds a value")
	}
}

func TestCreatingATeamThatExistsSaysSo(t *testing.T) {
	apitest.EachBackend(t, testCreatingATeamThatExistsSaysSo)
}

func testCreatingATeamThatExistsSaysSo(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	_, err := env.Store.CreateTenant(t.Context(), "default", "Again")
	if !errors.Is(err, localapi.ErrExists) || err.Error() != `team "default" already exists` {
		t.Fatalf("second team default: %v", err)
	}
}

// A full disk answers API_ERROR saying the server's storage is full, logs
// it (never the value), and changes nothing.
func TestFullStorageAnswersStorageIsFull(t *testing.T) {
	apitest.EachBackend(t, testFullStorageAnswersStorageIsFull)
}

func testFullStorageAnswersStorageIsFull(t *testing.T, b apitest.Backend) {
	env := b.Start(t)
	logs := captureLogs(t)
	if err := localapi.LimitStorageForTest(context.Background(), env.Store, 3); err != nil {
		t.Fatal(err)
	}
	value := canary + strings.Repeat("x", 60_000)
	var r apitest.Response
	for i := range 5 {
		r = env.Do(t, env.AdminKey, "", docSetSecret, map[string]any{"name": "BIG" + string(rune('A'+i)), "value": value})
		if len(r.Errors) > 0 {
			break
		}
	}
	if r.Code() != localapi.CodeAPIError || !strings.Contains(r.Errors[0].Message, "storage is full") {
		t.Fatalf("write to a full store: %+v", r.Errors)
	}
	if !strings.Contains(logs(), "storage is full") {
		t.Fatalf("not logged: %s", logs())
	}
	if strings.Contains(logs(), canary) || strings.Contains(logs(), env.AdminKey) || bytes.Contains([]byte(r.Errors[0].Message), []byte(canary)) {
		t.Fatal("a value or key reached the log or the answer")
	}
	names := decode[[]string](t, env.Do(t, env.AdminKey, "", docSecretNames, nil).Data["secret_names"])
	for _, n := range names {
		if v := env.Do(t, env.AdminKey, "", docSecretValue, map[string]any{"name": n}); len(v.Errors) > 0 {
			t.Fatalf("%s listed but unreadable: %+v", n, v.Errors)
		}
	}
}
