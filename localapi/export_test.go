package localapi

import (
	"context"

	"teamsecrets/localapi/store"
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

// The steps of a rotation after which CrashRotationAfterForTest may stop it.
const (
	StepFileHoldsBoth = stepFileHoldsBoth
	StepResealed      = stepResealed
)

// CrashRotationAfterForTest makes rotations stop after step as a crash
// there would (no clean-up), until undo is called.
func CrashRotationAfterForTest(step string) (undo func()) {
	crashForTest = func(s string) bool { return s == step }
	return func() { crashForTest = nil }
}

// PutSealedForTest stores sealed bytes as they are, below the vault (a
// damaged value, or one sealed under another key).
func PutSealedForTest(ctx context.Context, s *Store, tenantID, name string, sealed []byte) error {
	return s.backend.PutSealed(ctx, nil, tenantID, name, "", sealed)
}

// SealedForTest is every stored value's sealed bytes, by "team id/name".
func SealedForTest(ctx context.Context, s *Store) (map[string]string, error) {
	all := map[string]string{}
	err := s.backend.EachSealed(ctx, func(v store.Sealed) error {
		all[v.TenantID+"/"+v.Name] = string(v.Value)
		return nil
	})
	return all, err
}
