package localapi

import (
	"context"

	"teamsecrets/localapi/store"
)

// Wrapped is the same store with every backend call going through
// wrap(backend), e.g. storemetrics.Wrap's timing: the vault and the
// server's resolvers use the wrapper too. Close one of the two stores, not
// both.
func (s *Store) Wrapped(wrap func(store.Backend) store.Backend) *Store {
	b := wrap(s.backend)
	return &Store{backend: b, vault: &vault{keys: s.vault.keys, secrets: b}, shared: s.Shared()}
}

// Ready reports whether the store answers and its schema is current
// (store.Backend's Ready): what the server's /readyz asks.
func (s *Store) Ready(ctx context.Context) error { return s.backend.Ready(ctx) }
