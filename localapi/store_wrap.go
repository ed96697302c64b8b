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
	return &Store{backend: b, vault: &vault{keys: s.vault.keys, secrets: b}, shared: s.shared}
}

// Ready reports whether the store answers, its schema is current
// (store.Backend's Ready), and a master key of this process opens the
// store's key check (else an error wrapping ErrMasterKeyNotHeld: after a
// rotation to a key this instance was not given, it can neither open nor
// write a value): what the server's /readyz asks. It reads the key check
// once more than the backend's check; when the check changed it takes the
// new key as a request would (keyring.go).
func (s *Store) Ready(ctx context.Context) error {
	if err := s.backend.Ready(ctx); err != nil {
		return err
	}
	return s.vault.keys.ready(ctx)
}
