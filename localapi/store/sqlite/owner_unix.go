//go:build unix

package sqlite

import (
	"fmt"
	"os"
	"syscall"
)

// ownLike gives path the owner and group of dir (the data directory), so
// that the server, which runs as its owner, can open what a command run as
// root made there. It does nothing when they are already the same.
func ownLike(path, dir string) error {
	d, err := os.Stat(dir)
	if err != nil {
		return err
	}
	p, err := os.Lstat(path)
	if err != nil {
		return err
	}
	ds, ok1 := d.Sys().(*syscall.Stat_t)
	ps, ok2 := p.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 || ds.Uid == ps.Uid && ds.Gid == ps.Gid {
		return nil
	}
	if err := os.Lchown(path, int(ds.Uid), int(ds.Gid)); err != nil {
		return fmt.Errorf("give %s the owner of the data directory %s (uid %d, gid %d), as the server needs: %w; "+
			"run the command as that user or as root", path, dir, ds.Uid, ds.Gid, err)
	}
	return nil
}
