//go:build unix

package localapi_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"teamsecrets/localapi"
)

// Run as root beside a server that runs as another user, a rotation leaves
// master.key (and its lock file) that user's: the server goes on reading
// it, and so does its next start.
func TestRotationKeepsTheKeyFilesOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("gives master.key another owner, which needs root (the test runs as root in CI)")
	}
	dir := serverStore(t)
	keyPath := filepath.Join(dir, localapi.MasterKeyFile)
	if err := os.Chown(keyPath, 65534, 65533); err != nil {
		t.Fatal(err)
	}
	st, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.RotateMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{keyPath, keyPath + ".lock"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if s := info.Sys().(*syscall.Stat_t); s.Uid != 65534 || s.Gid != 65533 || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s after a rotation as root: %d:%d %o, want 65534:65533 600", p, s.Uid, s.Gid, info.Mode().Perm())
		}
	}
	if len(keyLines(t, dir)) != 1 {
		t.Fatal("master.key does not hold the new key alone")
	}
}
