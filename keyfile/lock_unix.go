//go:build unix

package keyfile

import (
	"errors"
	"os"
	"syscall"
)

// ErrLocked: another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// Lock takes an exclusive lock on path (made 0600 if missing), without
// waiting: ErrLocked if another process holds it. The lock goes with the
// process, even on SIGKILL.
func Lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}
