package localapi

import (
	"context"
	"time"

	"teamsecrets/localapi/store"
)

// KeyInfo is what a key list shows of one key: never the key or its hash.
type KeyInfo = store.KeyInfo

// KeyOptions are a new key's optional name and expiry.
type KeyOptions struct {
	Name      string
	ExpiresAt time.Time // zero: never
}

// CreateKeyWith is CreateKey with a name and an expiry. It returns the key
// (shown once) and its id.
func (s *Store) CreateKeyWith(ctx context.Context, tenantSlug, role, username string, o KeyOptions) (key, id string, err error) {
	if !ValidRole(role) {
		return "", "", errBadRole()
	}
	if o.Name != "" {
		if err := validKeyName(o.Name); err != nil {
			return "", "", err
		}
	}
	t, err := s.backend.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		return "", "", err
	}
	key = newAPIKey()
	nk := store.NewKey{Hash: hashKey(key), Tenant: t, Role: role, Username: username,
		ID: newKeyID(), Name: o.Name, ExpiresAt: o.ExpiresAt}
	if err := s.backend.CreateKey(ctx, nk); err != nil {
		return "", "", err
	}
	return key, nk.ID, nil
}

// Keys lists a team's keys (those whose default team it is), newest first.
func (s *Store) Keys(ctx context.Context, tenantSlug string) ([]KeyInfo, error) {
	t, err := s.backend.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		return nil, err
	}
	return s.backend.Keys(ctx, t.ID, "")
}

// RevokeKey deletes a key by its id: the next request with it is refused.
// ErrNotFound when there is none.
func (s *Store) RevokeKey(ctx context.Context, id string) error {
	found, err := s.backend.DeleteKey(ctx, id)
	if err != nil {
		return err
	}
	if !found {
		return ErrNotFound
	}
	return nil
}
