// Package keyfile reads and writes the data directory's key files
// (master.key, session.keys): private to the owner (0600), never
// overwritten in place (a new file is made, or one replaces another
// whole, keeping its owner), and on disk, directory entry included, before
// anything relies on them.
package keyfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
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
	if err := writeClose(f, text); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// Replace writes text and a newline to path in one step: a new 0600 file
// beside it, given the old file's owner and group, synced, then renamed
// over path, and the directory synced. A reader sees the old text or the
// new, never a mix; a crash leaves the one or the other (and at most a
// stray temporary file). A failed write leaves path as it was.
//
// A path that is a symbolic link stays one: the file it points to is
// replaced (beside that file). When this process may not give a new file
// the old one's owner (it runs as another user than the file's, without
// the right to change owners), nothing is written and the error is an
// *OwnerError: a key file the server can no longer read would stop it.
func Replace(path, text string) (err error) {
	target, old, err := resolve(path)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*.tmp") // 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if old != nil {
		if err := giveOwner(f, target, old); err != nil {
			f.Close()
			return err
		}
	}
	if err := writeClose(f, text); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), target); err != nil {
		return err
	}
	return syncDir(filepath.Dir(target))
}

// CheckReplace reports whether Replace could replace path as it says (the
// file, or the one its link points to, exists, a new file can be made
// beside it and given its owner), changing nothing: a caller about to
// change something else with the file runs it first.
func CheckReplace(path string) (err error) {
	target, old, err := resolve(path)
	if err != nil {
		return err
	}
	if old == nil {
		_, err := os.Stat(target)
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	return giveOwner(f, target, old)
}

// MatchOwner gives path the owner and group of like, when they differ and
// this process may (errors are an *OwnerError). Replace's lock file, made
// by whoever ran first, is kept with its key file's owner so.
func MatchOwner(path, like string) error {
	info, err := os.Stat(like)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return giveOwner(f, like, info)
}

// resolve is the file Replace replaces for path (path itself, or where its
// symbolic links lead) and that file's information (nil when there is no
// file yet). A link that leads nowhere is an error: replacing it with a
// file would hide where the key was meant to be.
func resolve(path string) (target string, info fs.FileInfo, err error) {
	target, err = filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		if l, lerr := os.Lstat(path); lerr == nil && l.Mode()&fs.ModeSymlink != 0 {
			return "", nil, fmt.Errorf("%s is a symbolic link to a file that does not exist: nothing was written (point it at the key file, or replace the link with the file)", path)
		}
		return path, nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	info, err = os.Stat(target)
	if err != nil {
		return "", nil, err
	}
	if !info.Mode().IsRegular() {
		return "", nil, fmt.Errorf("%s is not a regular file: nothing was written", target)
	}
	return target, info, nil
}

// ErrOwner: this process may not give a new file the owner of the key file
// it would replace.
var ErrOwner = errors.New("cannot keep the key file's owner")

// OwnerError says whose a key file is, and who tried to replace it.
type OwnerError struct {
	Path     string
	UID, GID int // the file's
	ProcUID  int // this process's effective user
}

func (e *OwnerError) Error() string {
	return fmt.Sprintf("%s belongs to %s and %s, and this process runs as %s, which may not give a new file that owner; "+
		"a key file its server can no longer read would stop the server. Nothing was changed: run the command as %[2]s, "+
		"the server's user (or as root)", e.Path, userName(e.UID), groupName(e.GID), userName(e.ProcUID))
}

func (e *OwnerError) Unwrap() error { return ErrOwner }

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return fmt.Sprintf("user %s (uid %d)", u.Username, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}

func groupName(gid int) string {
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		return fmt.Sprintf("group %s (gid %d)", g.Name, gid)
	}
	return fmt.Sprintf("gid %d", gid)
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

// writeClose writes text and a newline to f, syncs it to disk and closes
// it (closed on failure too).
func writeClose(f *os.File, text string) error {
	if _, err := f.WriteString(text + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
