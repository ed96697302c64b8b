package postgres

import (
	"context"
	"embed"
	"fmt"
	"hash/crc32"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"teamsecrets/localapi/store"
)

// migrations are the schema's steps, applied in order by goose and
// recorded in its table (goose_db_version). Append only: a store made by
// an older version runs the rest on open.
//
//go:embed migrations/*.sql
var migrations embed.FS

// versionTable is goose's record of the migrations applied.
const versionTable = "goose_db_version"

// migrationLock is the advisory lock instances take to migrate: the first
// migrates, the others wait for it and then find nothing to do. It is the
// project's own, apart from other goose users of the same database.
var migrationLock = int64(crc32.ChecksumIEEE([]byte("teamsecrets schema migrations")))

// migrate brings the schema up to date, making the store in a database
// that holds none if create (else ErrNoStore, having created nothing); or,
// for a rule other than store.Migrate, checks it against the rule without
// the lock, changing nothing (a *store.SchemaError when refused).
func (db *DB) migrate(ctx context.Context, where string, create bool, rule store.SchemaRule) error {
	holds, err := db.holds(ctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", where, err)
	}
	if !holds && !create {
		return fmt.Errorf("%w: %s has no schema of one (no %s table with migrations applied)", ErrNoStore, where, versionTable)
	}
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	db.closeSQL = sqlDB.Close
	// Waiting instances probe the lock every second, for up to 10 minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLock), lock.WithLockTimeout(1, 600))
	if err != nil {
		return err
	}
	files, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	db.migrator, err = goose.NewProvider(goose.DialectPostgres, sqlDB, files,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true), goose.WithLogger(goose.NopLogger()))
	if err != nil {
		return err
	}
	if holds && rule != store.Migrate {
		// GetVersions and HasPending take no lock, and the version table
		// exists (holds): goose creates nothing.
		have, want, err := db.migrator.GetVersions(ctx)
		if err != nil {
			return fmt.Errorf("read the schema version of %s: %w", where, err)
		}
		pending := false
		if have <= want {
			if pending, err = db.migrator.HasPending(ctx); err != nil {
				return fmt.Errorf("read the schema version of %s: %w", where, err)
			}
		}
		if err := store.CheckSchema(rule, have, want, pending, 1); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		return nil
	}
	if holds {
		// The common case, every start after the first: nothing to do, and
		// no lock taken to find it out.
		pending, err := db.migrator.HasPending(ctx)
		if err != nil {
			return fmt.Errorf("read the schema version of %s: %w", where, err)
		}
		if !pending {
			return nil
		}
	}
	results, err := db.migrator.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", where, err)
	}
	if len(results) > 0 {
		slog.Info("store schema migrated", "database", where, "migrations", len(results),
			"version", results[len(results)-1].Source.Version)
	}
	return nil
}

// SchemaVersion is the schema version this program's migrations make (one
// migration a version, numbered from 1).
func SchemaVersion() int64 {
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	return int64(len(files))
}

// holds reports whether the database holds a store: goose's table with at
// least the first migration applied. It changes nothing.
func (db *DB) holds(ctx context.Context) (bool, error) {
	var table bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, versionTable).Scan(&table); err != nil || !table {
		return false, err
	}
	var applied bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+versionTable+` WHERE version_id >= 1 AND is_applied)`).Scan(&applied)
	return applied, err
}
