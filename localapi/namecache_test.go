package localapi_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/apitest"
)

// After a write returns, every later list shows it, however many lists run
// at the same time (they fill the name cache concurrently).
func TestNameListReflectsEveryWriteUnderConcurrentReads(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	env := apitest.Start(t)
	team, _ := env.Store.TenantBySlug(t.Context(), "default")
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				if _, err := env.Store.SecretNames(t.Context(), team.ID); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 1000 {
		name := fmt.Sprintf("N%04d", i)
		if err := env.Store.PutSecret(t.Context(), team.ID, name, []byte(`"v"`)); err != nil {
			t.Fatal(err)
		}
		names, _ := env.Store.SecretNames(t.Context(), team.ID)
		if !slices.Contains(names, name) {
			t.Fatalf("%s missing right after it was written", name)
		}
		if i%2 == 0 {
			if _, err := env.Store.DeleteSecret(t.Context(), team.ID, name); err != nil {
				t.Fatal(err)
			}
			names, _ = env.Store.SecretNames(t.Context(), team.ID)
			if slices.Contains(names, name) {
				t.Fatalf("%s listed right after it was deleted", name)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	names, _ := env.Store.SecretNames(t.Context(), team.ID)
	if len(names) != 500 {
		t.Fatalf("%d names, want 500", len(names))
	}
}

func TestDataDirectoryServesOneServer(t *testing.T) {
	dir := t.TempDir()
	unlock, err := localapi.LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := localapi.LockDataDir(dir); err == nil {
		t.Fatal("a second server could lock the same data directory")
	}
	unlock()
	again, err := localapi.LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock not released: %v", err)
	}
	again()
}
