package sqlite

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"teamsecrets/localapi/store"
)

// files is every file of dir (not below) with a hash of its bytes: what
// "changed nothing" compares.
func files(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][32]byte{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = sha256.Sum256(b)
	}
	return out
}

// newStoreAt makes a store in dir, as the server does, with team t1
// holding secret OLD, and closes it.
func newStoreAt(t *testing.T, dir string) {
	t.Helper()
	b, err := Open(dir, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.CreateTenant(t.Context(), store.Tenant{ID: "t1", Slug: "old", Name: "Old"}); err != nil {
		t.Fatal(err)
	}
	if err := b.PutSealed(t.Context(), nil, "t1", "OLD", "", []byte{0}); err != nil {
		t.Fatal(err)
	}
}

// Opened not to migrate, a store whose schema is not this program's is
// refused (RequireCurrent), or, older, opened read-only (ReadOlder): either
// way its files are left byte for byte as they were. A newer one is
// refused by both.
func TestOpenWithoutMigratingChangesNothing(t *testing.T) {
	last := int64(len(legacyMigrations))
	type want struct {
		have         int64
		readOlderErr bool // ReadOlder refuses it too
	}
	cases := map[string]func(t *testing.T) (string, want){}
	for n := 1; n < len(legacyMigrations); n++ {
		cases[fmt.Sprintf("user_version era, version %d", n)] = func(t *testing.T) (string, want) {
			return legacyStore(t, n), want{have: int64(n), readOlderErr: n < keyCheckVersion}
		}
	}
	cases["goose era, one migration behind"] = func(t *testing.T) (string, want) {
		dir := t.TempDir()
		newStoreAt(t, dir)
		if err := MigrateDownForTest(t.Context(), dir, last-1); err != nil {
			t.Fatal(err)
		}
		return dir, want{have: last - 1}
	}
	cases["a newer program's"] = func(t *testing.T) (string, want) {
		dir := t.TempDir()
		newStoreAt(t, dir)
		if _, err := MigrateAheadForTest(t.Context(), dir); err != nil {
			t.Fatal(err)
		}
		return dir, want{have: last + 1, readOlderErr: true}
	}
	for name, make := range cases {
		t.Run(name, func(t *testing.T) {
			dir, w := make(t)
			before := files(t, dir)
			b, err := Open(dir, Options{Schema: store.RequireCurrent})
			var se *store.SchemaError
			if err == nil {
				b.Close()
				t.Fatal("RequireCurrent opened it")
			}
			if !errors.As(err, &se) || se.Have != w.have || se.Want != last || se.Ahead() != (w.have > last) ||
				!errors.Is(err, store.ErrSchemaNotCurrent) {
				t.Fatalf("RequireCurrent: %v (%+v), want version %d of %d", err, se, w.have, last)
			}
			b, err = Open(dir, Options{Schema: store.ReadOlder})
			if w.readOlderErr {
				if err == nil {
					b.Close()
					t.Fatal("ReadOlder opened it")
				}
				if !errors.As(err, &se) || se.Have != w.have {
					t.Fatalf("ReadOlder: %v", err)
				}
			} else {
				if err != nil {
					t.Fatalf("ReadOlder: %v", err)
				}
				names, err := b.SecretNames(t.Context(), "t1")
				if err != nil || !slices.Equal(names, []string{"OLD"}) {
					t.Fatalf("ReadOlder reads %v, %v", names, err)
				}
				if err := b.CreateTenant(t.Context(), store.Tenant{ID: uuid.NewString(), Slug: "new", Name: "New"}); err == nil {
					t.Fatal("ReadOlder wrote")
				}
				b.Close()
			}
			if after := files(t, dir); !maps.Equal(after, before) {
				t.Fatalf("the files changed: %v, were %v", slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before)))
			}
		})
	}
	// A current store opens under either rule.
	dir := t.TempDir()
	newStoreAt(t, dir)
	for _, rule := range []store.SchemaRule{store.RequireCurrent, store.ReadOlder} {
		b, err := Open(dir, Options{Schema: rule})
		if err != nil {
			t.Fatalf("rule %d, a current store: %v", rule, err)
		}
		b.Close()
	}
}

// Paths holding what a URI would read as syntax ('?', '#', '%41') work as
// any other: a data directory (SQLite must not open "dA" for "d%41"), and
// backups, which leave no stray file behind (a '#' once cut the name).
func TestPathsWithURICharacters(t *testing.T) {
	root := t.TempDir()
	dataDir := filepath.Join(root, "d%41 ?#x")
	newStoreAt(t, dataDir)
	b, err := Open(dataDir, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer b.Close()
	if names, err := b.SecretNames(t.Context(), "t1"); err != nil || len(names) != 1 {
		t.Fatalf("read back: %v %v", names, err)
	}
	if err := b.InitKeyCheck(t.Context(), []byte("check")); err != nil {
		t.Fatal(err)
	}
	bk := filepath.Join(root, "bk")
	if err := os.Mkdir(bk, 0o700); err != nil {
		t.Fatal(err)
	}
	want := []string{"a#1.db", "b?.db", "c%41.db", "d e&f=g.db"}
	for _, name := range want {
		info, err := b.(*DB).Backup(t.Context(), filepath.Join(bk, name))
		if err != nil {
			t.Fatalf("backup to %s: %v", name, err)
		}
		if info.Teams != 1 || info.Values != 1 || string(info.KeyCheck) != "check" {
			t.Fatalf("backup to %s: %+v", name, info)
		}
	}
	entries, _ := os.ReadDir(bk)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the backup directory holds %q, want %q", got, want)
	}
	for _, stray := range []string{filepath.Join(root, "dA ?#x"), filepath.Join(root, "d%41 ")} {
		if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s exists: %v", stray, err)
		}
	}
}

// A backup inside the data directory (however the path reaches it) is
// refused, writing nothing; one beside it (a name that merely begins like
// it) is not.
func TestBackupRefusesATargetInsideTheDataDirectory(t *testing.T) {
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	newStoreAt(t, dataDir)
	b, err := Open(dataDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.InitKeyCheck(t.Context(), []byte("check")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dataDir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dataDir, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	before := files(t, dataDir)
	for _, target := range []string{
		filepath.Join(dataDir, DBFile+"-journal"),
		filepath.Join(dataDir, "sub", "b.db"),
		filepath.Join(root, "link", "b.db"),
		filepath.Join("data", "..", "data", "b.db"),
		"link/b.db",
	} {
		_, err := b.(*DB).Backup(t.Context(), target)
		if !errors.Is(err, ErrBackupInDataDir) {
			t.Fatalf("backup to %s: %v, want ErrBackupInDataDir", target, err)
		}
		for _, says := range []string{"inside the data directory", dataDir, "master.key", "write it elsewhere", "nothing was written"} {
			if !strings.Contains(err.Error(), says) {
				t.Errorf("backup to %s: %q does not say %q", target, err, says)
			}
		}
	}
	if after := files(t, dataDir); !maps.Equal(after, before) {
		t.Fatalf("refused backups changed the data directory: %v", slices.Sorted(maps.Keys(after)))
	}
	if entries, _ := os.ReadDir(filepath.Join(dataDir, "sub")); len(entries) != 0 {
		t.Fatalf("a refused backup wrote into %s", filepath.Join(dataDir, "sub"))
	}
	if err := os.Mkdir(filepath.Join(root, "data2"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := b.(*DB).Backup(t.Context(), filepath.Join("data2", "b.db")); err != nil {
		t.Fatalf("backup beside the data directory: %v", err)
	}
}
