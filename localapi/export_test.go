package localapi

import (
	"context"

	"teamsecrets/localapi/store/postgres"
	"teamsecrets/localapi/store/sqlite"
)

// LimitStorageForTest caps the store's database at its current size plus
// extra pages (SQLite), or fills its disk at once (PostgreSQL): past it
// writes fail as on a full disk.
func LimitStorageForTest(ctx context.Context, s *Store, extra int) error {
	if _, ok := s.backend.(*postgres.DB); ok {
		return postgres.FillDiskForTest(ctx, s.backend)
	}
	return sqlite.LimitPagesForTest(ctx, s.backend, extra)
}

// RowsForTest returns every row of a table of the store's PostgreSQL
// database, as stored.
func RowsForTest(ctx context.Context, s *Store, table string) ([][]byte, error) {
	return postgres.RowsForTest(ctx, s.backend, table)
}

// ListPageShapeForTest reports whether query takes the list page's fast
// path (listpage.go).
func ListPageShapeForTest(query string) bool {
	d, err := parseDocument(query, DefaultLimits())
	return err == nil && d.list != nil
}
