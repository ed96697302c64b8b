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
