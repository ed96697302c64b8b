package localapi

import (
	"context"

	"teamsecrets/localapi/store/sqlite"
)

// LimitStorageForTest caps the store's database at its current size plus
// extra pages: past it writes fail as on a full disk.
func LimitStorageForTest(ctx context.Context, s *Store, extra int) error {
	return sqlite.LimitPagesForTest(ctx, s.backend, extra)
}

// ListPageShapeForTest reports whether query takes the list page's fast
// path (listpage.go).
func ListPageShapeForTest(query string) bool {
	d, err := parseDocument(query, DefaultLimits())
	return err == nil && d.list != nil
}
