package localapi_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"teamsecrets/localapi"
	"teamsecrets/localapi/store/pgtest"
)

// Ready says whether this process can serve the store's values: after a
// rotation to a key it was not given, not (ErrMasterKeyNotHeld, naming no
// key); an instance given the ring, or keyed by master.key, stays ready.
func TestReadyNeedsTheStoresMasterKey(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{0x55}, 32), bytes.Repeat([]byte{0x77}, 32)
	b64 := base64.StdEncoding.EncodeToString
	dir := filepath.Join(t.TempDir(), "data")
	t.Setenv(localapi.MasterKeyEnv, b64(oldKey))
	alone, err := localapi.Open(dir, localapi.AsServer) // the old key alone
	if err != nil {
		t.Fatal(err)
	}
	defer alone.Close()
	if err := alone.Ready(t.Context()); err != nil {
		t.Fatalf("before the rotation: %v", err)
	}
	t.Setenv(localapi.MasterKeyEnv, b64(newKey)+","+b64(oldKey))
	ring, err := localapi.Open(dir, localapi.AsAdmin) // given the ring
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	admin, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RotateMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	if err := ring.Ready(t.Context()); err != nil {
		t.Fatalf("an instance with the ring after the rotation: %v", err)
	}
	t.Setenv(localapi.MasterKeyEnv, b64(oldKey)) // alone's environment
	for range 2 {                                // the second within the pause after a failed refresh
		err := alone.Ready(t.Context())
		if !errors.Is(err, localapi.ErrMasterKeyNotHeld) || strings.Contains(err.Error(), b64(oldKey)) {
			t.Fatalf("an instance without the new key: %v, want ErrMasterKeyNotHeld", err)
		}
	}

	// Keyed by master.key, a server follows a rotation beside it.
	fdir := serverStore(t)
	srv, err := localapi.Open(fdir, localapi.AsServer)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	fadmin, err := localapi.Open(fdir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fadmin.RotateMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	fadmin.Close()
	if err := srv.Ready(t.Context()); err != nil {
		t.Fatalf("a server keyed by master.key after a rotation beside it: %v", err)
	}
}

// The same on PostgreSQL, where every instance takes its key from the
// environment: an instance left with the old key is not ready after the
// rotation, one given the ring is.
func TestReadyNeedsTheStoresMasterKeyOnPostgres(t *testing.T) {
	databaseURL := pgtest.URL(t)
	oldKey, newKey := bytes.Repeat([]byte{0x56}, 32), bytes.Repeat([]byte{0x78}, 32)
	b64 := base64.StdEncoding.EncodeToString
	open := func(mode localapi.Mode) *localapi.Store {
		t.Helper()
		st, err := localapi.OpenPostgres(t.Context(), databaseURL, t.TempDir(), mode, localapi.CreateStore())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	t.Setenv(localapi.MasterKeyEnv, b64(oldKey))
	alone := open(localapi.AsServer)
	if err := alone.Ready(t.Context()); err != nil {
		t.Fatalf("before the rotation: %v", err)
	}
	t.Setenv(localapi.MasterKeyEnv, b64(newKey)+","+b64(oldKey))
	ring := open(localapi.AsServer)
	if _, err := open(localapi.AsAdmin).RotateMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := ring.Ready(t.Context()); err != nil {
		t.Fatalf("an instance with the ring after the rotation: %v", err)
	}
	t.Setenv(localapi.MasterKeyEnv, b64(oldKey))
	if err := alone.Ready(t.Context()); !errors.Is(err, localapi.ErrMasterKeyNotHeld) {
		t.Fatalf("an instance without the new key: %v, want ErrMasterKeyNotHeld", err)
	}
}
