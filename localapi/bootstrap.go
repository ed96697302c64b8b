package localapi

import (
	"context"
	"fmt"
)

// BootstrapKeyEnv names the environment variable that sets the first
// TENANT_ADMIN key instead of generating one.
const BootstrapKeyEnv = "TEAMSECRETS_BOOTSTRAP_KEY"

// Bootstrap gives an empty store a first team ("default"), an admin user and
// a TENANT_ADMIN key. It returns the key (given or generated) and whether it
// did anything; on a store that already has teams it does nothing.
func Bootstrap(ctx context.Context, s *Store, givenKey string) (key string, created bool, err error) {
	empty, err := s.Empty(ctx)
	if err != nil || !empty {
		return "", false, err
	}
	t, err := s.CreateTenant(ctx, "default", "Default team")
	if err != nil {
		return "", false, err
	}
	if err := s.AddMember(ctx, t.Slug, RoleTenantAdmin, "admin"); err != nil {
		return "", false, err
	}
	var userID string
	if err := s.read.QueryRowContext(ctx, `SELECT id FROM user WHERE username = 'admin'`).Scan(&userID); err != nil {
		return "", false, err
	}
	key = givenKey
	if key == "" {
		key = newAPIKey()
	}
	if err := s.importKey(ctx, key, t.ID, RoleTenantAdmin, userID); err != nil {
		return "", false, fmt.Errorf("store bootstrap key: %w", err)
	}
	return key, true, nil
}
