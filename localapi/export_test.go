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
