package keyfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateWritesAPrivateFileOnceAndReadTrims(t *testing.T) {
	path := filepath.Join(t.TempDir(), "some.key")
	if _, err := Read(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Read of a missing file: %v", err)
	}
	if err := Create(path, "k1"); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("mode %o, want 600", perm)
	}
	if err := Create(path, "k2"); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second Create: %v, want ErrExist", err)
	}
	if got, err := Read(path); err != nil || got != "k1" {
		t.Fatalf("Read = %q, %v", got, err)
	}
}

func TestReplaceSwapsTheWholeFilePrivately(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "some.key")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Replace(path, "new1\nnew2"); err != nil {
		t.Fatal(err)
	}
	if got, err := Read(path); err != nil || got != "new1\nnew2" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("mode %o after Replace, want 600", perm)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("Replace left %d files, want the one", len(entries))
	}
	// Into a directory that is gone: an error, nothing written.
	if err := Replace(filepath.Join(dir, "missing", "x.key"), "k"); err == nil {
		t.Fatal("Replace into a missing directory succeeded")
	}
}

func TestLockIsExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(path); !errors.Is(err, ErrLocked) {
		unlock()
		t.Fatalf("second Lock: %v, want ErrLocked", err)
	}
	unlock()
	unlock2, err := Lock(path)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()
}

// A key file reached through a symbolic link stays so: the file it points
// to gets the new text, the link is kept. A link to nothing is refused.
func TestReplaceKeepsASymlinkAndReplacesItsTarget(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(keys, "real.key")
	if err := os.WriteFile(target, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "some.key")
	if err := os.Symlink("keys/real.key", link); err != nil {
		t.Fatal(err)
	}
	if err := CheckReplace(link); err != nil {
		t.Fatal(err)
	}
	if err := Replace(link, "new"); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link is no longer one: %v", err)
	}
	if got, _ := Read(target); got != "new" {
		t.Fatalf("the link's target holds %q, want the new text", got)
	}
	if entries, _ := os.ReadDir(keys); len(entries) != 1 {
		t.Fatalf("%d files beside the target, want the one", len(entries))
	}
	dangling := filepath.Join(dir, "gone.key")
	if err := os.Symlink("keys/missing.key", dangling); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{CheckReplace(dangling), Replace(dangling, "x")} {
		if err == nil || !strings.Contains(err.Error(), "symbolic link to a file that does not exist") {
			t.Fatalf("a link to nothing: %v", err)
		}
	}
	if info, err := os.Lstat(dangling); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link to nothing was replaced")
	}
}
