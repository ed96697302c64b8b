package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
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
