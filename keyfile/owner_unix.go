//go:build unix

package keyfile

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// giveOwner gives f (a file just made, or a lock file) the owner and group
// of old, the file at path it stands for, when they differ. Not being
// allowed to is an *OwnerError.
func giveOwner(f *os.File, path string, old fs.FileInfo) error {
	want, ok := old.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if have, ok := info.Sys().(*syscall.Stat_t); ok && have.Uid == want.Uid && have.Gid == want.Gid {
		return nil
	}
	err = f.Chown(int(want.Uid), int(want.Gid))
	if errors.Is(err, fs.ErrPermission) {
		return &OwnerError{Path: path, UID: int(want.Uid), GID: int(want.Gid), ProcUID: os.Geteuid()}
	}
	return err
}
