//go:build unix

package keyfile

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// asRoot skips a test that must give files other owners, which root alone
// may do.
func asRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("gives files another owner, which needs root (the test runs as root in CI)")
	}
}

func ownerOf(t *testing.T, path string) (uid, gid uint32) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

// Replaced by root, a key file keeps its owner and group (its server runs
// as that user and must go on reading it), and so does the lock file made
// beside it.
func TestReplaceKeepsTheOwnerAndGroup(t *testing.T) {
	asRoot(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "some.key")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 4242, 4343); err != nil {
		t.Fatal(err)
	}
	if err := CheckReplace(path); err != nil {
		t.Fatal(err)
	}
	if err := Replace(path, "new"); err != nil {
		t.Fatal(err)
	}
	if uid, gid := ownerOf(t, path); uid != 4242 || gid != 4343 {
		t.Fatalf("owner %d:%d after Replace, want 4242:4343", uid, gid)
	}
	if got, _ := Read(path); got != "new" {
		t.Fatalf("Read = %q", got)
	}
	lock := path + ".lock"
	unlock, err := Lock(lock)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if err := MatchOwner(lock, path); err != nil {
		t.Fatal(err)
	}
	if uid, gid := ownerOf(t, lock); uid != 4242 || gid != 4343 {
		t.Fatalf("lock file owner %d:%d, want 4242:4343", uid, gid)
	}
}

// replaceAsEnv names the file a child process of the test binary, run as
// another user, tries to replace (TestReplaceByAnotherUserIsRefused).
const replaceAsEnv = "KEYFILE_TEST_REPLACE"

// A user who may not give files another owner is refused, saying whose the
// file is, and nothing is written: neither the file nor a temporary one.
func TestReplaceByAnotherUserIsRefused(t *testing.T) {
	if path := os.Getenv(replaceAsEnv); path != "" {
		// The child, as uid 65534.
		err1 := CheckReplace(path)
		err2 := Replace(path, "new")
		var oe *OwnerError
		if !errors.As(err1, &oe) || !errors.As(err2, &oe) || !errors.Is(err2, ErrOwner) {
			t.Fatalf("as uid %d: CheckReplace %v, Replace %v; want *OwnerError", os.Geteuid(), err1, err2)
		}
		fmt.Println("REFUSED:", err2)
		return
	}
	asRoot(t)
	// The test binary, where another user may run it.
	bin, err := os.MkdirTemp("", "keyfile-bin-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(bin)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	self := filepath.Join(bin, "keyfile.test")
	if err := os.WriteFile(self, b, 0o755); err != nil {
		t.Fatal(err)
	}
	// A directory anyone may write, holding a key file of uid 4242 that
	// the child may read.
	dir := filepath.Join(bin, "data")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil { // past the umask
		t.Fatal(err)
	}
	path := filepath.Join(dir, "some.key")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^TestReplaceByAnotherUserIsRefused$", "-test.v")
	cmd.Env = append(os.Environ(), replaceAsEnv+"="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "REFUSED: "+path+" belongs to uid 4242") ||
		!strings.Contains(string(out), "run the command as uid 4242") {
		t.Fatalf("as another user: %v\n%s", err, out)
	}
	if got, _ := Read(path); got != "old" {
		t.Fatalf("the refused Replace changed the file: %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the refused Replace left %d files, want the one", len(entries))
	}
}
