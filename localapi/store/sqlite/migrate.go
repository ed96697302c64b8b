package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"

	"teamsecrets/localapi/store"
)

// migrations are the schema's steps, applied in order by goose and
// recorded in its table (goose_db_version). Append only: a store created
// by an older version runs the rest on open.
//
// Stores made before goose recorded their migrations in PRAGMA
// user_version: on first open, migrations 1 to user_version are marked
// applied in goose's table (adopt), and none is run again. user_version
// still follows the schema's version, for older binaries.
//
//go:embed migrations/*.sql
var migrations embed.FS

// versionTable is goose's record of the migrations applied.
const versionTable = "goose_db_version"

// newMigrator is goose over the write connection. SQLite needs no lock
// beyond its own: one server per data directory, and each migration is a
// write transaction.
func newMigrator(write *sql.DB) (*goose.Provider, error) {
	files, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, write, files,
		goose.WithDisableGlobalRegistry(true), goose.WithLogger(goose.NopLogger()))
}

// keyCheckVersion is the first schema with the master key check (the meta
// table, migration 2): the oldest store.ReadOlder opens, as a backup must
// read the check to prove the copy opens with the master key.
const keyCheckVersion = 2

// schema brings the schema up to date (store.Migrate), or checks it
// against rule changing nothing: a store this program should not open as
// it is gets a *store.SchemaError.
func (db *DB) schema(ctx context.Context, rule store.SchemaRule) error {
	if rule == store.Migrate {
		return db.migrate(ctx)
	}
	var err error
	if db.migrator, err = newMigrator(db.write); err != nil {
		return err
	}
	have, pending, err := db.version(ctx)
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	return store.CheckSchema(rule, have, lastVersion(db.migrator), pending, keyCheckVersion)
}

// SchemaVersion is the schema version this program's migrations make (one
// migration a version, numbered from 1).
func SchemaVersion() int64 {
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	return int64(len(files))
}

// lastVersion is the schema version this program's migrations make.
func lastVersion(p *goose.Provider) int64 {
	sources := p.ListSources()
	return sources[len(sources)-1].Version
}

// version reads the schema's version, and whether one of this program's
// migrations up to it is not applied, changing nothing.
func (db *DB) version(ctx context.Context) (have int64, pending bool, err error) {
	return schemaVersion(ctx, db.write, db.migrator)
}

// schemaVersion reads the version of the schema in conn (migrator is goose
// over conn), and whether one of this program's migrations up to it is not
// applied, changing nothing: from goose's record (never creating it, as
// goose would), or, for a store of the user_version era (no record yet),
// from PRAGMA user_version.
func schemaVersion(ctx context.Context, conn *sql.DB, migrator *goose.Provider) (have int64, pending bool, err error) {
	var tables int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, versionTable).
		Scan(&tables); err != nil {
		return 0, false, err
	}
	if tables == 0 {
		err := conn.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&have)
		return have, false, err
	}
	if have, _, err = migrator.GetVersions(ctx); err != nil {
		return 0, false, err
	}
	if have > lastVersion(migrator) {
		return have, false, nil // a newer program's: goose cannot compare
	}
	pending, err = migrator.HasPending(ctx)
	return have, pending, err
}

// migrate adopts a store of the user_version era, then brings the schema
// up to date.
func (db *DB) migrate(ctx context.Context) error {
	if err := db.adopt(ctx); err != nil {
		return err
	}
	var err error
	if db.migrator, err = newMigrator(db.write); err != nil {
		return err
	}
	if _, err := db.migrator.Up(ctx); err != nil {
		return err
	}
	version, err := db.migrator.GetDBVersion(ctx)
	if err != nil {
		return err
	}
	var recorded int64
	if err := db.write.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&recorded); err != nil || recorded == version {
		return err
	}
	_, err = db.write.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, version))
	return err
}

// adopt records, in goose's table, the migrations a store made before
// goose says it ran (PRAGMA user_version of them), in one transaction: so
// goose runs only the rest. A store with goose's table, or a new one, is
// left to goose.
func (db *DB) adopt(ctx context.Context) error {
	var version int64
	if err := db.write.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if version == 0 {
		return nil
	}
	var tables int
	if err := db.write.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, versionTable).
		Scan(&tables); err != nil || tables > 0 {
		return err
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	if version > int64(len(files)) {
		return fmt.Errorf("the store's schema is version %d, newer than this binary knows (%d): use the newer binary", version, len(files))
	}
	record, err := database.NewStore(database.DialectSQLite3, versionTable)
	if err != nil {
		return err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := record.CreateVersionTable(ctx, tx); err != nil {
		return err
	}
	for v := int64(0); v <= version; v++ { // goose's own version 0, then the store's
		if err := record.Insert(ctx, tx, database.InsertRequest{Version: v}); err != nil {
			return err
		}
	}
	return tx.Commit()
}
