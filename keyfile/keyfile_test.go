package keyfile

import (
	"errors"
	"os"
	"path/filepath"
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
