package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"teamsecrets/localapi"
)

// secretNames asks the server at url for team default's names.
func secretNames(t *testing.T, url string) []string {
	t.Helper()
	d, err := gql(url, childAdminKey, `query { secret_names }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := json.Unmarshal(d["secret_names"], &names); err != nil {
		t.Fatal(err)
	}
	return names
}

// `store restore` with a server running is refused, saying to stop it;
// with the server killed (its -wal left beside the database, holding a
// write made after the backup), it installs the backup, moves the old
// files aside, and the server started again serves exactly the backup.
func TestStoreRestoreCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server process")
	}
	dir := serverMadeStore(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code, out := runIn(dir, "store", "backup", backup); code != 0 {
		t.Fatalf("store backup: %s", out)
	}
	c := startChild(t, dir, "api", "--addr", "127.0.0.1:0")
	if _, err := gql(c.url, childAdminKey, `mutation { set_secret(input: {name: "LATER", value: "v"}) { success } }`, nil); err != nil {
		t.Fatal(err)
	}
	code, out := runIn(dir, "store", "restore", backup)
	if code != 1 || !strings.Contains(out, "a teamsecrets server is running on "+dir) || !strings.Contains(out, "stop it first") ||
		!strings.Contains(out, "nothing was changed") {
		t.Fatalf("restore beside a running server: %d %s", code, out)
	}
	if names := secretNames(t, c.url); !slices.Equal(names, []string{"A", "LATER"}) {
		t.Fatalf("the server serves %v after a refused restore", names)
	}
	c.cmd.Process.Kill()
	c.cmd.Wait()
	if _, err := os.Stat(filepath.Join(dir, localapi.DBFile+"-wal")); err != nil {
		t.Fatalf("the killed server left no -wal: %v", err)
	}

	code, out = runIn(dir, "store", "restore", backup)
	if code != 0 {
		t.Fatalf("store restore: %d %s", code, out)
	}
	aside := regexp.MustCompile(`moved aside, not deleted: (\S+) \(([^)]*)\)`).FindStringSubmatch(out)
	if !strings.Contains(out, "restored "+backup+" into "+filepath.Join(dir, localapi.DBFile)+": 1 team, 1 value") ||
		!strings.Contains(out, "opens with the master key from "+filepath.Join(dir, localapi.MasterKeyFile)) ||
		!strings.Contains(out, "store check") || aside == nil || !strings.HasPrefix(aside[1], filepath.Join(dir, "before-restore-")) ||
		!strings.Contains(aside[2], "teamsecrets.db, teamsecrets.db-wal") || strings.Contains(out, storeCanary) {
		t.Fatalf("store restore said: %s", out)
	}
	for _, name := range []string{localapi.DBFile, localapi.DBFile + "-wal"} {
		if _, err := os.Stat(filepath.Join(aside[1], name)); err != nil {
			t.Fatalf("%s was not kept aside: %v", name, err)
		}
	}
	if code, out := runIn(dir, "store", "check"); code != 0 {
		t.Fatalf("store check after the restore: %s", out)
	}
	r := startChild(t, dir, "api", "--addr", "127.0.0.1:0")
	if names := secretNames(t, r.url); !slices.Equal(names, []string{"A"}) {
		t.Fatalf("the restored store serves %v, want the backup's [A]", names)
	}
}

// `store restore` takes no PostgreSQL store (it points to pg_restore),
// and needs one FILE.
func TestStoreRestoreRefusesADatabaseURL(t *testing.T) {
	dir := serverMadeStore(t)
	code, out := runIn(dir, "store", "restore", filepath.Join(t.TempDir(), "b.db"), "--database-url", "postgres://u@db.internal/teamsecrets")
	if code != 2 || !strings.Contains(out, "pg_restore") || !strings.Contains(out, "Backup and restore") {
		t.Fatalf("restore with --database-url: %d %s", code, out)
	}
	t.Setenv("TEAMSECRETS_DATABASE_URL", "postgres://u@db.internal/teamsecrets")
	if code, out := runIn(dir, "store", "restore", filepath.Join(t.TempDir(), "b.db")); code != 2 || !strings.Contains(out, "pg_restore") {
		t.Fatalf("restore with TEAMSECRETS_DATABASE_URL: %d %s", code, out)
	}
	t.Setenv("TEAMSECRETS_DATABASE_URL", "")
	if code, out := runIn(dir, "store", "restore"); code != 2 || !strings.Contains(out, "needs one FILE") {
		t.Fatalf("restore without FILE: %d %s", code, out)
	}
}

// `store backup` refuses a file inside the data directory, saying why,
// and the store still opens.
func TestStoreBackupRefusesAFileInTheDataDirectory(t *testing.T) {
	dir := serverMadeStore(t)
	journal := filepath.Join(dir, localapi.DBFile+"-journal")
	code, out := runIn(dir, "store", "backup", journal)
	if code != 1 || !strings.Contains(out, "inside the data directory") || !strings.Contains(out, "master.key") {
		t.Fatalf("backup into the data directory: %d %s", code, out)
	}
	if _, err := os.Stat(journal); !os.IsNotExist(err) {
		t.Fatalf("the refused backup left %s: %v", journal, err)
	}
	if code, out := runIn(dir, "store", "check"); code != 0 {
		t.Fatalf("store check after the refused backup: %s", out)
	}
}
