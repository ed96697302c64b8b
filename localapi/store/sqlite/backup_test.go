package sqlite_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/sqlite"
)

func backupOf(t *testing.T, b store.Backend) *sqlite.DB {
	t.Helper()
	if u, ok := b.(interface{ Unwrap() store.Backend }); ok {
		b = u.Unwrap()
	}
	return b.(*sqlite.DB)
}

// A backup is a new private file, checked and read back; an existing file
// is refused and left as it was.
func TestBackupWritesANewPrivateCheckedCopy(t *testing.T) {
	ctx := t.Context()
	b, err := sqlite.Open(t.TempDir(), sqlite.Options{Create: true, Own: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.InitKeyCheck(ctx, []byte("check")); err != nil {
		t.Fatal(err)
	}
	tn := store.Tenant{ID: uuid.NewString(), Slug: "alpha", Name: "Alpha"}
	if err := b.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := b.PutSealed(ctx, nil, tn.ID, fmt.Sprintf("N%02d", i), "", []byte("sealed")); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	info, err := backupOf(t, b).Backup(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Teams != 1 || info.Values != 50 || string(info.KeyCheck) != "check" || info.Bytes == 0 || info.Path != path {
		t.Fatalf("info = %+v", info)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() != info.Bytes {
		t.Fatalf("backup file: %v %v", st.Mode(), err)
	}
	before, _ := os.ReadFile(path)
	if _, err := backupOf(t, b).Backup(ctx, path); !errors.Is(err, sqlite.ErrBackupExists) {
		t.Fatalf("a backup over an existing file: %v, want ErrBackupExists", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a refused backup changed the existing file")
	}
	if _, err := backupOf(t, b).Backup(ctx, filepath.Join(dir, "missing", "b.db")); err == nil {
		t.Fatal("a backup into a missing directory succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the backups left %d files in %s, want the one", len(entries), dir)
	}
}

// A backup taken while writers write holds every write acknowledged before
// it began, and the copy opens as a store.
func TestBackupDuringWritesHoldsEveryEarlierWrite(t *testing.T) {
	ctx := t.Context()
	b, err := sqlite.Open(t.TempDir(), sqlite.Options{Create: true, Own: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tn := store.Tenant{ID: uuid.NewString(), Slug: "alpha", Name: "Alpha"}
	if err := b.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[string]string{}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				name, v := fmt.Sprintf("W%d_%05d", w, i), fmt.Sprintf("v%d-%d", w, i)
				if err := b.PutSealed(ctx, nil, tn.ID, name, "", []byte(v)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[name] = v
				mu.Unlock()
			}
		})
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 || t.Failed() {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	before := make(map[string]string, len(acked))
	for k, v := range acked {
		before[k] = v
	}
	mu.Unlock()
	restored := t.TempDir()
	_, err = backupOf(t, b).Backup(ctx, filepath.Join(restored, sqlite.DBFile))
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	c, err := sqlite.Open(restored, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for name, v := range before {
		got, err := c.SealedSecret(ctx, tn.ID, name)
		if err != nil || string(got) != v {
			t.Fatalf("%s in the copy: %q, %v; want %q", name, got, err, v)
		}
	}
	if err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
}
