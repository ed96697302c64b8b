package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"teamsecrets/localapi/store"
)

// ErrNotABackup: the file to restore is not a sound Team Secrets database;
// nothing was changed.
var ErrNotABackup = errors.New("not a sound Team Secrets backup")

// RestoreInfo says what Restore installed and what it moved aside.
type RestoreInfo struct {
	Database      string // the restored database's path
	Bytes         int64
	Teams, Values int
	// Version is the backup's schema version, Current this program's (the
	// server migrates an older one as it starts).
	Version, Current int64
	// Aside is the directory the files Restore replaced were moved to, and
	// Moved their names; both empty when there was none.
	Aside string
	Moved []string
}

// besideDB are the files SQLite keeps beside the database. Each belongs to
// the database it was written with: a -wal or a -journal left beside a
// restored database would be replayed onto it.
var besideDB = []string{DBFile, DBFile + "-wal", DBFile + "-shm", DBFile + "-journal"}

// Restore replaces the database in dataDir, a directory that must exist,
// with a copy of the backup at backupPath:
//
//  1. It takes the data directory's lock (ErrDataDirInUse while a server
//     serves it) for its whole run.
//  2. It copies the backup (SQLite's VACUUM INTO from the backup opened
//     read-only: a -wal beside the backup is taken in) into a new 0600
//     file in dataDir, synced, with the data directory's owner and group.
//  3. It checks that copy: SQLite's integrity check, a store's tables, a
//     schema this program reads (a newer one is a *store.SchemaError),
//     and opens(its key check): the caller's proof that the master key
//     opens it. A refusal (ErrNotABackup, or opens' error) removes the
//     copy, having changed nothing else.
//  4. It moves the current database and the files beside it (-wal, -shm,
//     -journal), never deleting them, into a new directory
//     dataDir/before-restore-TIME, then renames the copy to teamsecrets.db
//     and syncs the directories. A failure while moving puts back what was
//     moved.
func Restore(ctx context.Context, dataDir, backupPath string, opens func(keyCheck []byte) error) (info RestoreInfo, err error) {
	if st, err := os.Stat(dataDir); err != nil {
		return info, err
	} else if !st.IsDir() {
		return info, fmt.Errorf("%s is not a directory", dataDir)
	}
	unlock, err := LockDataDir(dataDir)
	if err != nil {
		return info, err
	}
	defer unlock()
	src, err := filepath.Abs(backupPath)
	if err != nil {
		return info, err
	}
	if st, err := os.Stat(src); err != nil {
		return info, err
	} else if !st.Mode().IsRegular() {
		return info, fmt.Errorf("%s: %w: not a regular file", src, ErrNotABackup)
	}

	tmp, err := os.CreateTemp(dataDir, ".restore-*.tmp")
	if err != nil {
		return info, err
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer func() {
		if err != nil {
			os.Remove(tmpPath)
		}
	}()
	if err := ownLike(tmpPath, dataDir); err != nil {
		return info, err
	}
	if err := copyDatabase(ctx, src, tmpPath); err != nil {
		return info, fmt.Errorf("%s: %w: %w", src, ErrNotABackup, err)
	}
	if err := syncFile(tmpPath); err != nil {
		return info, fmt.Errorf("sync %s: %w", tmpPath, err)
	}
	checked := BackupInfo{Path: tmpPath}
	if err := readBackup(ctx, &checked); err != nil {
		return info, fmt.Errorf("%s: %w: %w", src, ErrNotABackup, err)
	}
	info.Bytes, info.Teams, info.Values = checked.Bytes, checked.Teams, checked.Values
	if info.Version, info.Current, err = copyVersion(ctx, tmpPath); err != nil {
		return info, fmt.Errorf("%s: %w", src, err)
	}
	if len(checked.KeyCheck) == 0 {
		return info, fmt.Errorf("%s: %w: it holds no master key check", src, ErrNotABackup)
	}
	if err := opens(checked.KeyCheck); err != nil {
		return info, err
	}

	if info.Aside, info.Moved, err = moveAside(dataDir); err != nil {
		return info, err
	}
	info.Database = filepath.Join(dataDir, DBFile)
	if err := os.Rename(tmpPath, info.Database); err != nil {
		putBack(dataDir, info.Aside, info.Moved)
		return RestoreInfo{}, err
	}
	if err := syncFile(info.Database); err != nil {
		return info, fmt.Errorf("sync %s: %w", info.Database, err)
	}
	if info.Aside != "" {
		if err := syncFile(info.Aside); err != nil {
			return info, fmt.Errorf("sync %s: %w", info.Aside, err)
		}
	}
	return info, nil
}

// copyDatabase writes a copy of the database at src into dst, an empty
// file, through SQLite: src is opened read-only and changed in nothing.
func copyDatabase(ctx context.Context, src, dst string) error {
	db, err := openIntact(ctx, src, "mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, dst)
	return err
}

// copyVersion reads the schema version of the database at path (opened
// read-only and immutable) and this program's, and refuses one this
// program does not read (*store.SchemaError: newer, or older than the key
// check).
func copyVersion(ctx context.Context, path string) (have, want int64, err error) {
	dsn, err := fileURI(path, "mode=ro&immutable=1")
	if err != nil {
		return 0, 0, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	migrator, err := newMigrator(db)
	if err != nil {
		return 0, 0, err
	}
	want = lastVersion(migrator)
	have, pending, err := schemaVersion(ctx, db, migrator)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: read its schema version: %w", ErrNotABackup, err)
	}
	return have, want, store.CheckSchema(store.ReadOlder, have, want, pending, keyCheckVersion)
}

// moveAside moves the database in dataDir and the files beside it into a
// new directory there named for the time, and returns it and the names
// moved ("" and none when there was nothing to move). On failure it puts
// back what it moved.
func moveAside(dataDir string) (aside string, moved []string, err error) {
	var present []string
	for _, name := range besideDB {
		if _, err := os.Lstat(filepath.Join(dataDir, name)); err == nil {
			present = append(present, name)
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", nil, err
		}
	}
	if len(present) == 0 {
		return "", nil, nil
	}
	base := filepath.Join(dataDir, "before-restore-"+time.Now().UTC().Format("20060102T150405Z"))
	aside = base
	for i := 2; ; i++ {
		err = os.Mkdir(aside, 0o700)
		if !errors.Is(err, os.ErrExist) {
			break
		}
		aside = fmt.Sprintf("%s-%d", base, i)
	}
	if err != nil {
		return "", nil, err
	}
	if err := ownLike(aside, dataDir); err != nil {
		os.Remove(aside)
		return "", nil, err
	}
	// The database first: should this stop half way, no database is left
	// that would be served without its -wal.
	for _, name := range present {
		if err := os.Rename(filepath.Join(dataDir, name), filepath.Join(aside, name)); err != nil {
			putBack(dataDir, aside, moved)
			return "", nil, fmt.Errorf("move %s aside: %w", name, err)
		}
		moved = append(moved, name)
	}
	return aside, moved, nil
}

// putBack undoes moveAside, as far as it can.
func putBack(dataDir, aside string, moved []string) {
	for i := len(moved) - 1; i >= 0; i-- {
		os.Rename(filepath.Join(aside, moved[i]), filepath.Join(dataDir, moved[i]))
	}
	os.Remove(aside)
}
