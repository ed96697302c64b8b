// Package keyfile reads and writes the data directory's key files
// (master.key, session.keys): private to the owner (0600), never
// overwritten in place (a new file is made, or one replaces another
// whole), and on disk, directory entry included, before anything relies
// on them.
package keyfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Read returns a key file's text without surrounding space. A missing file
// gives an error that matches os.ErrNotExist.
func Read(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// Create writes text and a newline to a new file with mode 0600 and syncs
// the file and its directory. It fails if the file exists (os.ErrExist):
// a key file is never replaced, so two processes starting at once cannot
// each keep a different key. A failed write leaves no file behind.
func Create(path, text string) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	if _, err := f.WriteString(text + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// Replace writes text and a newline to path in one step: a new 0600 file
// beside it, synced, then renamed over path, and the directory synced. A
// reader sees the old text or the new, never a mix; a crash leaves the
// one or the other (and at most a stray temporary file). A failed write
// leaves path as it was.
func Replace(path, text string) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp") // 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if _, err := f.WriteString(text + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a new directory entry durable (where the system allows
// opening a directory for it).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}
