package sqlite

import (
	"context"
	"fmt"

	"teamsecrets/localapi/store"
)

// LimitPagesForTest caps the database at its current size plus extra pages
// (SQLite's max_page_count, on the write connection), so a test can fill
// the "disk": writes past the cap fail with SQLITE_FULL exactly as on a
// full disk. b is a backend from Open. Tests only.
func LimitPagesForTest(ctx context.Context, b store.Backend, extra int) error {
	if u, ok := b.(interface{ Unwrap() store.Backend }); ok {
		b = u.Unwrap()
	}
	db, ok := b.(*DB)
	if !ok {
		return fmt.Errorf("not a SQLite backend: %T", b)
	}
	var pages int
	if err := db.write.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return err
	}
	_, err := db.write.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+extra))
	return err
}

// MigrateDownForTest takes the store in dataDir back to schema version v
// with the migrations' down steps, and records v in PRAGMA user_version:
// the store as a program whose last migration is v left it. Tests only.
func MigrateDownForTest(ctx context.Context, dataDir string, v int64) error {
	db, err := open(dataDir, false, store.Migrate)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.migrator.DownTo(ctx, v); err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v))
	return err
}

// MigrateAheadForTest records in the store in dataDir a migration after
// this program's last as applied (goose's record and PRAGMA user_version),
// as a newer program would leave it, and returns its version. Tests only.
func MigrateAheadForTest(ctx context.Context, dataDir string) (int64, error) {
	db, err := open(dataDir, false, store.Migrate)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	v := lastVersion(db.migrator) + 1
	if _, err := db.write.ExecContext(ctx, `INSERT INTO `+versionTable+` (version_id, is_applied) VALUES (?, 1)`, v); err != nil {
		return 0, err
	}
	_, err = db.write.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v))
	return v, err
}
