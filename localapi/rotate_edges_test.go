package localapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/store"
)

// A master.key that is a symbolic link stays one, through a refused
// rotation and a done one; the file it points to holds the new key alone.
func TestRotationKeepsASymlinkedKeyFile(t *testing.T) {
	dir := serverStore(t)
	keyPath := filepath.Join(dir, localapi.MasterKeyFile)
	keys := filepath.Join(filepath.Dir(dir), "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(keys, "teamsecrets.key")
	if err := os.Rename(keyPath, target); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, keyPath); err != nil {
		t.Fatal(err)
	}
	isLink := func(when string) {
		t.Helper()
		if info, err := os.Lstat(keyPath); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("%s: master.key is no longer a link (%v)", when, err)
		}
	}
	old := keyLines(t, dir)[0]
	st, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	before := values(t, st)
	team := defaultTeam(t, st)

	// Refused: a damaged value.
	if err := localapi.PutSealedForTest(t.Context(), st, team, "ZZ_DAMAGED", bytes.Repeat([]byte{7}, 40)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RotateMasterKey(t.Context()); !errors.Is(err, localapi.ErrUnreadableValue) {
		t.Fatalf("rotation over a damaged value: %v", err)
	}
	isLink("after a refused rotation")
	if lines := keyLines(t, dir); len(lines) != 1 || lines[0] != old {
		t.Fatal("a refused rotation changed the key")
	}
	if _, err := st.DeleteSecret(t.Context(), team, "ZZ_DAMAGED"); err != nil {
		t.Fatal(err)
	}

	// Done.
	if _, err := st.RotateMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	isLink("after a rotation")
	lines := keyLines(t, dir) // through the link
	if len(lines) != 1 || lines[0] == old {
		t.Fatalf("the link's target holds %d keys (new: %v), want the new key alone", len(lines), lines[0] != old)
	}
	if entries, _ := os.ReadDir(keys); len(entries) != 1 {
		t.Fatalf("%d files beside the link's target, want the one", len(entries))
	}
	st.Close()
	if got := onlyKey(t, dir, decodeKey(t, lines[0])); !maps.Equal(got, before) {
		t.Fatalf("values %v, want %v", got, before)
	}
	again, err := localapi.Open(dir, localapi.AsAdmin) // through the link
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
}

// An admin shell with TEAMSECRETS_MASTER_KEY=NEW,CURRENT beside a data
// directory whose master.key a server uses: the rotation through the
// variable is refused before anything changes (it would leave the file's
// key opening nothing), unless forced.
func TestEnvironmentRotationRefusedBesideAMasterKeyFile(t *testing.T) {
	dir := serverStore(t)
	keyPath := filepath.Join(dir, localapi.MasterKeyFile)
	cur := keyLines(t, dir)[0]
	newKey := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x66}, 32))
	t.Setenv(localapi.MasterKeyEnv, newKey+","+cur)
	st, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keyBefore, sealedBefore := snapshot(t, dir, st)
	_, err = st.RotateMasterKey(t.Context())
	if !errors.Is(err, localapi.ErrKeySourcesMixed) || !strings.Contains(err.Error(), keyPath) ||
		!strings.Contains(err.Error(), "Nothing was changed") || !strings.Contains(err.Error(), "--force") ||
		strings.Contains(err.Error(), newKey) || strings.Contains(err.Error(), cur) {
		t.Fatalf("rotation through the variable beside master.key: %v", err)
	}
	if k, sealed := snapshot(t, dir, st); k != keyBefore || !maps.Equal(sealed, sealedBefore) {
		t.Fatal("the refused rotation changed master.key or a value")
	}
	if ev := rotationEvents(t, st); len(ev) != 0 {
		t.Fatalf("a refused rotation was recorded: %+v", ev)
	}
	// Forced: done, to the variable's first key.
	r, err := st.RotateMasterKeyWith(t.Context(), localapi.RotateOptions{Force: true})
	if err != nil || r.Source != localapi.MasterKeyEnv {
		t.Fatalf("forced: %+v, %v", r, err)
	}
	st.Close()
	t.Setenv(localapi.MasterKeyEnv, "")
	if got := onlyKey(t, dir, decodeKey(t, newKey)); len(got) != 2 {
		t.Fatalf("values under the new key: %v", got)
	}
}

// commitThenFail's ResealAll commits, then reports a failure, as a COMMIT
// whose log reached the disk before an I/O error does (recovery applies
// it). With unreadable set, the key check cannot be read after that.
type commitThenFail struct {
	store.Backend
	commit     bool
	unreadable atomic.Bool
}

func (b *commitThenFail) ResealAll(ctx context.Context, from store.KeyEpoch, check []byte, reseal func(store.Sealed) ([]byte, error)) (int, error) {
	if b.commit {
		if _, err := b.Backend.ResealAll(ctx, from, check, reseal); err != nil {
			return 0, err
		}
	}
	b.unreadable.Store(b.commit == false)
	return 0, errors.New("commit: disk I/O error")
}

func (b *commitThenFail) KeyCheck(ctx context.Context) ([]byte, error) {
	if b.unreadable.Load() {
		return nil, errors.New("disk I/O error")
	}
	return b.Backend.KeyCheck(ctx)
}

// A reseal that fails after all may have committed: master.key is put back
// only when the store's key check shows that it did not; else (or when the
// check cannot be read) it keeps the new key and the old, and the store
// opens with it whichever way the commit went.
func TestFailedResealKeepsBothKeysUnlessTheCheckIsStillTheOld(t *testing.T) {
	for _, tc := range []struct {
		name   string
		commit bool
		says   string
	}{
		{"committed", true, "the reseal did commit"},
		{"unknown", false, "whether the reseal committed is not known"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := serverStore(t)
			old := keyLines(t, dir)[0]
			st, err := localapi.Open(dir, localapi.AsAdmin)
			if err != nil {
				t.Fatal(err)
			}
			before := values(t, st)
			fault := &commitThenFail{commit: tc.commit}
			wrapped := st.Wrapped(func(b store.Backend) store.Backend { fault.Backend = b; return fault })
			_, err = wrapped.RotateMasterKey(t.Context())
			st.Close()
			if err == nil || !strings.Contains(err.Error(), "commit: disk I/O error") || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("rotation whose commit failed: %v", err)
			}
			lines := keyLines(t, dir)
			if len(lines) != 2 || lines[1] != old {
				t.Fatalf("master.key holds %d keys (old second: %v), want the new and the old", len(lines), len(lines) == 2 && lines[1] == old)
			}
			// The store opens with the file as it is, every value with it.
			again, err := localapi.Open(dir, localapi.AsAdmin)
			if err != nil {
				t.Fatalf("open after the failed commit: %v", err)
			}
			if got := values(t, again); !maps.Equal(got, before) {
				t.Fatalf("values %v, want %v", got, before)
			}
			again.Close()
			if tc.commit {
				onlyKey(t, dir, decodeKey(t, lines[0])) // the store is on the new key
			}
		})
	}
}

// staleOnce returns, once armed, a value's sealed bytes as a read whose
// snapshot predates a rotation's commit would: the value before it was
// resealed.
type staleOnce struct {
	store.Backend
	stale atomic.Pointer[[]byte]
}

func (b *staleOnce) SealedSecret(ctx context.Context, tenantID, name string) ([]byte, error) {
	if s := b.stale.Swap(nil); s != nil {
		return *s, nil
	}
	return b.Backend.SealedSecret(ctx, tenantID, name)
}

// A read that met a value as it was before a rotation, by a process that
// has already followed the rotation (it opens with the new key alone),
// reads the value again rather than fail.
func TestAReadOlderThanARotationIsReadAgain(t *testing.T) {
	dir := serverStore(t)
	srv, err := localapi.Open(dir, localapi.AsServer)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	fault := &staleOnce{}
	st := srv.Wrapped(func(b store.Backend) store.Backend { fault.Backend = b; return fault })
	team := defaultTeam(t, st)
	sealed, err := localapi.SealedForTest(t.Context(), st)
	if err != nil {
		t.Fatal(err)
	}
	oldA := []byte(sealed[team+"/A"])
	admin, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RotateMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	// The server follows the rotation (a write takes the new key alone).
	if err := st.PutSecret(t.Context(), team, "AFTER", json.RawMessage(`"after"`)); err != nil {
		t.Fatal(err)
	}
	fault.stale.Store(&oldA)
	if v, err := st.SecretValue(t.Context(), team, "A"); err != nil || string(v) != `"`+canary+`"` {
		t.Fatalf("a read that met the value before the rotation: %s, %v", v, err)
	}
	// A value that is damaged still fails, after one more read.
	if err := localapi.PutSealedForTest(t.Context(), st, team, "ZZ_DAMAGED", bytes.Repeat([]byte{7}, 40)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SecretValue(t.Context(), team, "ZZ_DAMAGED"); err == nil || !strings.Contains(err.Error(), "decrypt secret") {
		t.Fatalf("a damaged value: %v", err)
	}
}
