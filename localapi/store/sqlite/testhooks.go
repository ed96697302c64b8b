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
