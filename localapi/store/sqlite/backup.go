package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrBackupExists: a backup's file exists already; nothing was written.
var ErrBackupExists = errors.New("the backup file exists already")

// ErrBackupInDataDir: a backup's file would be inside the data directory;
// nothing was written.
var ErrBackupInDataDir = errors.New("a backup is never written inside the data directory")

// BackupInfo is what a backup holds, read back from the copy itself.
type BackupInfo struct {
	Path          string // absolute
	Bytes         int64
	Teams, Values int
	KeyCheck      []byte // the copy's sealed master key check
	// Version is the copy's schema version (the store's: a backup never
	// migrates), Current this program's.
	Version, Current int64
}

// Backup writes a consistent copy of the database to path, a new file with
// mode 0600, while the store serves and writes.
//
// It is SQLite's VACUUM INTO: one read transaction, so the copy is the
// database as of one moment, the WAL's committed transactions included,
// while writers go on (in WAL mode a reader never blocks them). Every
// write acknowledged before Backup began is in it. The copy is compact
// (no free pages) and needs no WAL of its own.
//
// The copy is then synced, checked (PRAGMA integrity_check) and read back
// for its counts and key check. If anything fails the file is removed; a
// file that exists already is never touched (ErrBackupExists). A path
// inside the data directory, symbolic links resolved, is refused
// (ErrBackupInDataDir): there a copy could be taken for one of the store's
// own files (SQLite takes a "teamsecrets.db-journal" for the database's
// rollback journal, and may delete it), and it would lie beside
// master.key, which must be kept apart from the backups.
func (db *DB) Backup(ctx context.Context, path string) (info BackupInfo, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return info, err
	}
	info.Path = abs
	dataDir := filepath.Dir(db.path)
	if in, err := within(abs, dataDir); err != nil {
		return info, err
	} else if in {
		return info, fmt.Errorf("%s is inside the data directory %s: %w (there it could be taken for one of the store's own files, "+
			"and it would lie beside master.key, which must be kept apart from backups): write it elsewhere; nothing was written",
			abs, dataDir, ErrBackupInDataDir)
	}
	// Made here, empty and 0600, so that it is new (O_EXCL) and private:
	// VACUUM INTO writes into an empty file and keeps its mode.
	f, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return info, fmt.Errorf("%s: %w", abs, ErrBackupExists)
	}
	if err != nil {
		return info, err
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(abs)
		}
	}()
	// A connection of its own, read-only on the database (the pool's
	// query_only forbids writing even the copy).
	dsn, err := fileURI(db.path, "mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return info, err
	}
	src, err := sql.Open("sqlite", dsn)
	if err != nil {
		return info, err
	}
	_, err = src.ExecContext(ctx, `VACUUM INTO ?`, abs)
	src.Close()
	if err != nil {
		return info, fmt.Errorf("copy the database: %w", dbError(err))
	}
	if err := syncFile(abs); err != nil {
		return info, fmt.Errorf("sync %s: %w", abs, err)
	}
	if err := readBackup(ctx, &info); err != nil {
		return info, err
	}
	if info.Version, info.Current, err = copyVersion(ctx, abs); err != nil {
		return info, fmt.Errorf("the copy: %w", err)
	}
	return info, nil
}

// readBackup checks the copy at info.Path and fills in what it holds. The
// copy is opened read-only and immutable: nothing is written beside it.
func readBackup(ctx context.Context, info *BackupInfo) error {
	copyDB, err := openIntact(ctx, info.Path, "mode=ro&immutable=1")
	if err != nil {
		return fmt.Errorf("the copy: %w", err)
	}
	defer copyDB.Close()
	err = copyDB.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM tenant), (SELECT count(*) FROM secret),
		(SELECT value FROM meta WHERE name = 'key_check')`).Scan(&info.Teams, &info.Values, &info.KeyCheck)
	if err != nil {
		return fmt.Errorf("read the copy: %w", err)
	}
	st, err := os.Stat(info.Path)
	if err != nil {
		return err
	}
	info.Bytes = st.Size()
	return nil
}

// within reports whether path (a file that need not exist, in a directory
// that must) is in dir or below it, each resolved to an absolute path
// without symbolic links.
func within(path, dir string) (bool, error) {
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false, err
	}
	if d, err = filepath.Abs(d); err != nil {
		return false, err
	}
	p, err := filepath.EvalSymlinks(filepath.Dir(path))
	if err != nil {
		return false, err
	}
	if p, err = filepath.Abs(p); err != nil {
		return false, err
	}
	rel, err := filepath.Rel(d, p)
	if err != nil {
		return false, nil // another volume
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)), nil
}

// syncFile puts a file, and its directory entry, on disk.
func syncFile(path string) error {
	for _, p := range []string{path, filepath.Dir(path)} {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
			return err
		}
	}
	return nil
}

// openIntact opens the database at path with the URI parameters query
// (read-only ones: nothing is written through it) and runs its integrity
// check; it fails unless the check says ok.
func openIntact(ctx context.Context, path, query string) (*sql.DB, error) {
	dsn, err := fileURI(path, query)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		db.Close()
		return nil, fmt.Errorf("integrity check: %w", err)
	}
	if res != "ok" {
		db.Close()
		return nil, fmt.Errorf("it fails its integrity check: %s", res)
	}
	return db, nil
}
