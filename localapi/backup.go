package localapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/sqlite"
)

// ErrNoOnlineBackup: the store's backend has no backup of its own here
// (PostgreSQL: its own tools, pg_dump, back it up).
var ErrNoOnlineBackup = errors.New("this store's backend is not backed up by teamsecrets")

// ErrBackupExists: the backup's file exists already; nothing was written.
var ErrBackupExists = sqlite.ErrBackupExists

// ErrBackupInDataDir: the backup's file would be inside the data
// directory; nothing was written.
var ErrBackupInDataDir = sqlite.ErrBackupInDataDir

// onlineBackup is a backend that copies itself to a file while it serves.
// The SQLite backend is one; a backend that is not (PostgreSQL) is
// refused by Backup, pointing to its own tools.
type onlineBackup interface {
	Backup(ctx context.Context, path string) (sqlite.BackupInfo, error)
}

// BackupReport says what a backup holds (never a key).
type BackupReport struct {
	Path          string // absolute
	Bytes         int64
	Teams, Values int
	Took          time.Duration
	KeySource     string // where the master key that opens it came from
	// Version is the copy's schema version, the store's as it was (a
	// backup never migrates), Current this program's.
	Version, Current int64
}

// Backup writes a consistent copy of the store to path, a new 0600 file,
// while servers go on serving and writing (see sqlite.DB.Backup): it holds
// every write acknowledged before Backup began. The copy must pass its
// integrity check and its key check must open with this process's master
// key; else it is removed. The master key is not in it.
func (s *Store) Backup(ctx context.Context, path string) (BackupReport, error) {
	b := s.backend
	if u, ok := b.(interface{ Unwrap() store.Backend }); ok {
		b = u.Unwrap()
	}
	ob, ok := b.(onlineBackup)
	if !ok {
		return BackupReport{}, fmt.Errorf("%w: back up a PostgreSQL store with pg_dump, and keep its master key apart "+
			"(see README, Backup and restore)", ErrNoOnlineBackup)
	}
	start := time.Now()
	info, err := ob.Backup(ctx, path)
	if err != nil {
		return BackupReport{}, err
	}
	took := time.Since(start)
	ks := s.vault.keys.current()
	if !bytes.Equal(info.KeyCheck, ks.epoch) {
		// The store's key was rotated since this process opened it.
		if ks, err = s.vault.keys.refresh(ctx, ks); err != nil {
			os.Remove(info.Path)
			return BackupReport{}, err
		}
	}
	if stateFor(masterKey{}, ks.ring, info.KeyCheck) == nil {
		os.Remove(info.Path)
		return BackupReport{}, fmt.Errorf("the copy's key check does not open with the master key from %s: the copy was removed; "+
			"run `teamsecrets store check`", ks.source)
	}
	return BackupReport{Path: info.Path, Bytes: info.Bytes, Teams: info.Teams, Values: info.Values, Took: took, KeySource: ks.source,
		Version: info.Version, Current: info.Current}, nil
}
