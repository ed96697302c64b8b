// Package sqlite is the embedded store backend: one SQLite database in the
// data directory, served by one process at a time. Reads go through a pool;
// writes go through a single connection so they never contend for SQLite's
// write lock. Every SQL statement of the SQLite dialect lives in this
// package (migrate.go and migrations/*.sql, and one file per entity); it
// stores sealed values and key hashes only.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"teamsecrets/localapi/store"
)

// DBFile is the database's file name inside the data directory.
const DBFile = "teamsecrets.db"

// ErrNoDatabase is returned by Open without Create when the data directory
// holds no database (no file, or an empty one).
var ErrNoDatabase = errors.New("no database")

// ErrDataDirInUse: a server holds the data directory's lock.
var ErrDataDirInUse = errors.New("in use by another teamsecrets server")

// Options say how Open treats the data directory.
type Options struct {
	// Create makes the database when there is none (the server). Without
	// it Open fails with ErrNoDatabase instead.
	Create bool
	// Own takes the data directory's lock for as long as the store is open
	// (one server per directory) and, being then the only writer of
	// secrets, keeps secret names in memory (store.WithNameCache).
	Own bool
	// Schema says what Open does with a schema at another version than
	// this program's: store.Migrate (the zero value, the server) brings it
	// up to date; store.RequireCurrent and store.ReadOlder change nothing
	// and refuse, with a *store.SchemaError, what they do not open (see
	// store.SchemaRule). With ReadOlder every connection is query-only.
	Schema store.SchemaRule
}

// DB is the SQLite backend.
type DB struct {
	path     string
	read     *sql.DB
	write    *sql.DB
	migrator *goose.Provider // over write
	unlock   func()
}

// Holds reports whether dataDir holds a database: the file exists and is
// not empty. (SQLite treats an empty file as a new database.)
func Holds(dataDir string) (bool, error) {
	info, err := os.Stat(filepath.Join(dataDir, DBFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return info.Size() > 0, nil
}

// Open opens the database in dataDir and brings its schema up to date, or
// checks it, as o.Schema says.
func Open(dataDir string, o Options) (store.Backend, error) {
	unlock := func() {}
	if o.Own {
		var err error
		if unlock, err = LockDataDir(dataDir); err != nil {
			return nil, err
		}
	}
	db, err := open(dataDir, o.Create, o.Schema)
	if err != nil {
		unlock()
		return nil, err
	}
	db.unlock = unlock
	if o.Own {
		return store.WithNameCache(db), nil
	}
	return db, nil
}

func open(dataDir string, create bool, rule store.SchemaRule) (*DB, error) {
	path := filepath.Join(dataDir, DBFile)
	if create {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		// Create the file 0600 before SQLite does: its -wal and -shm files
		// take the database file's mode.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		f.Close()
	} else if ok, err := Holds(dataDir); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%s: %w", path, ErrNoDatabase)
	}
	// mode=rw: SQLite never creates the file (above, it was made 0600 or
	// found). synchronous=FULL: a commit returns only after the WAL is on
	// disk, so an acknowledged write survives a crash or power loss. The
	// journal mode (WAL, which stays with the file) is set by the server
	// only: an open that must change nothing leaves the file as it is.
	query := "mode=rw"
	if rule == store.Migrate {
		query += "&_pragma=journal_mode(WAL)"
	}
	query += "&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_txlock=immediate"
	if rule == store.ReadOlder {
		query += "&_pragma=query_only(true)"
	}
	dsn, err := fileURI(path, query)
	if err != nil {
		return nil, err
	}
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxLifetime(0)
	db := &DB{path: path, write: write}
	if err := db.schema(context.Background(), rule); err != nil {
		write.Close()
		var se *store.SchemaError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, fmt.Errorf("migrate %s: %w", path, dbError(err))
	}
	// Readers map the file and keep a larger page cache: listing 100,000
	// names then costs no read syscalls.
	dsn, err = fileURI(path, "_pragma=busy_timeout(10000)&_pragma=query_only(true)"+
		"&_pragma=mmap_size(268435456)&_pragma=cache_size(-32000)")
	if err != nil {
		write.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	db.read = read
	return db, nil
}

// fileURI is path as an SQLite URI with query: "file:", the absolute path
// with every character SQLite would read as URI syntax ('?', '#', '%')
// percent-escaped, then '?' and query. modernc.org/sqlite passes a "file:"
// name whole to SQLite (which decodes the path's %HH escapes and reads
// mode, immutable, …) and takes its own parameters (_pragma, _txlock) from
// after the first '?'; a path put in as it is would be cut at its first
// '?' or '#', or have its "%41" read as "A".
func fileURI(path, query string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a volume name: file:///C:/...
	}
	return (&url.URL{Scheme: "file", Path: p, RawQuery: query}).String(), nil
}

// Close closes the database and releases the data directory.
func (db *DB) Close() error {
	err := errors.Join(db.read.Close(), db.write.Close())
	if db.unlock != nil {
		db.unlock()
	}
	return err
}

// Check runs SQLite's integrity check.
func (db *DB) Check(ctx context.Context) error {
	var res string
	if err := db.write.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return dbError(err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}

// now is the time written to the database: fixed width, so that text
// order is time order (the list sorts by updated_at).
func now() string { return time.Now().UTC().Format(timeLayout) }

const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// dbError gives SQLite failures the store's meaning where there is one:
// SQLITE_FULL (the disk is full, or the size cap reached) is store.ErrFull.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return fmt.Errorf("%w: %w", store.ErrFull, err)
	}
	return err
}

// isUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) &&
		(se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}
