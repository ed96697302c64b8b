package sqlite_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/sqlite"
	"teamsecrets/localapi/store/storetest"
)

func TestBackendSuite(t *testing.T) {
	t.Run("owner, names cached", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Backend {
			b, err := sqlite.Open(t.TempDir(), sqlite.Options{Create: true, Own: true})
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	})
	t.Run("beside an owner, uncached", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Backend {
			b, err := sqlite.Open(t.TempDir(), sqlite.Options{Create: true})
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	})
}

// Without Create, a directory without a database (none, or an empty file)
// is refused and nothing is made there.
func TestOpenWithoutCreateMakesNothing(t *testing.T) {
	parent := t.TempDir()
	missing := filepath.Join(parent, "typo")
	if _, err := sqlite.Open(missing, sqlite.Options{}); !errors.Is(err, sqlite.ErrNoDatabase) {
		t.Fatalf("missing directory: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the directory was created: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, sqlite.DBFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(dir, sqlite.Options{}); !errors.Is(err, sqlite.ErrNoDatabase) {
		t.Fatalf("empty database file: %v", err)
	}
	if ok, err := sqlite.Holds(dir); ok || err != nil {
		t.Fatalf("Holds(empty file) = %v, %v", ok, err)
	}
	b, err := sqlite.Open(dir, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if ok, err := sqlite.Holds(dir); !ok || err != nil {
		t.Fatalf("Holds(after create) = %v, %v", ok, err)
	}
	b, err = sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatalf("existing database without Create: %v", err)
	}
	b.Close()
}

// SQLITE_FULL (here the size cap; on a full disk the same code) is
// store.ErrFull, and the failed write leaves nothing behind.
func TestFullStorageIsErrFull(t *testing.T) {
	b, err := sqlite.Open(t.TempDir(), sqlite.Options{Create: true, Own: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	team := store.Tenant{ID: uuid.NewString(), Slug: "alpha", Name: "Alpha"}
	if err := b.CreateTenant(ctx, team); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.LimitPagesForTest(ctx, b, 4); err != nil {
		t.Fatal(err)
	}
	big := []byte(strings.Repeat("s", 60_000))
	err = b.PutSealed(ctx, nil, team.ID, "BIG", "", big)
	if !errors.Is(err, store.ErrFull) {
		t.Fatalf("write past the cap: %v, want ErrFull", err)
	}
	if ok, _ := b.SecretExists(ctx, team.ID, "BIG"); ok {
		t.Fatal("the failed write left a value")
	}
	if names, _ := b.SecretNames(ctx, team.ID); len(names) != 0 {
		t.Fatalf("names after the failed write: %q", names)
	}
	err = b.PutSealedMany(ctx, nil, team.ID, "", map[string][]byte{"A": big, "B": big})
	if !errors.Is(err, store.ErrFull) {
		t.Fatalf("many writes past the cap: %v, want ErrFull", err)
	}
}
