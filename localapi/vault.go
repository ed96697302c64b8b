package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"teamsecrets/localapi/store"
)

// vault is where values are sealed and opened: above the backend, which
// stores and returns sealed bytes only. Nothing below it sees a plaintext
// value. Its keys follow the store's master key (keyring.go).
type vault struct {
	keys    *keyring
	secrets store.Secrets
}

// names lists a team's secret names (a shared slice: do not modify).
func (v *vault) names(ctx context.Context, tenantID string) ([]string, error) {
	return v.secrets.SecretNames(ctx, tenantID)
}

func (v *vault) exists(ctx context.Context, tenantID, name string) (bool, error) {
	return v.secrets.SecretExists(ctx, tenantID, name)
}

func (v *vault) count(ctx context.Context, tenantID string) (int, error) {
	return v.secrets.SecretCount(ctx, tenantID)
}

// value opens one value (its JSON), or store.ErrNotFound.
func (v *vault) value(ctx context.Context, tenantID, name string) (json.RawMessage, error) {
	sealed, err := v.secrets.SealedSecret(ctx, tenantID, name)
	if err != nil {
		return nil, err
	}
	ks := v.keys.current()
	plain, err := ks.open(tenantID, name, sealed)
	if err != nil {
		// Sealed under a key this process does not use yet (the store's
		// key was rotated), or read from a snapshot older than a rotation
		// this process has already followed (the value was resealed since),
		// or damaged: refresh the keys, read the value again, and only
		// then fail.
		next, rerr := v.keys.refresh(ctx, ks)
		if rerr != nil {
			return nil, fmt.Errorf("decrypt secret: %w", rerr)
		}
		if sealed, err = v.secrets.SealedSecret(ctx, tenantID, name); err != nil {
			return nil, err
		}
		if plain, err = next.open(tenantID, name, sealed); err != nil {
			return nil, fmt.Errorf("decrypt secret: %w", err)
		}
	}
	return json.RawMessage(plain), nil
}

// put seals and stores a value (its JSON) atomically and durably; actor
// (who writes it, may be empty) is recorded beside it.
func (v *vault) put(ctx context.Context, tenantID, name, actor string, value json.RawMessage) error {
	return v.write(ctx, func(ks *keyState) error {
		sealed, err := ks.seal.seal(tenantID, name, value)
		if err != nil {
			return err
		}
		return v.secrets.PutSealed(ctx, ks.epoch, tenantID, name, actor, sealed)
	})
}

// putMany seals and stores many values of one team: all or none.
func (v *vault) putMany(ctx context.Context, tenantID, actor string, values map[string]json.RawMessage) error {
	return v.write(ctx, func(ks *keyState) error {
		sealed := make(map[string][]byte, len(values))
		for name, value := range values {
			s, err := ks.seal.seal(tenantID, name, value)
			if err != nil {
				return err
			}
			sealed[name] = s
		}
		return v.secrets.PutSealedMany(ctx, ks.epoch, tenantID, actor, sealed)
	})
}

// write runs put, which seals under a state's key and writes beside its
// epoch. When the store's key changed meanwhile (the write is refused,
// nothing written), it takes the new key and runs put once more.
func (v *vault) write(ctx context.Context, put func(*keyState) error) error {
	ks := v.keys.current()
	err := put(ks)
	if !errors.Is(err, store.ErrKeyChanged) {
		return err
	}
	next, err := v.keys.refresh(ctx, ks)
	if err != nil {
		return err
	}
	return put(next)
}

// metas is one page of a team's secrets, without values.
func (v *vault) metas(ctx context.Context, tenantID string, q store.SecretQuery) ([]store.SecretMeta, error) {
	return v.secrets.SecretMetas(ctx, tenantID, q)
}

// matches counts a team's names containing search (all for "").
func (v *vault) matches(ctx context.Context, tenantID, search string) (int, error) {
	return v.secrets.SecretMatches(ctx, tenantID, search)
}

func (v *vault) delete(ctx context.Context, tenantID, name string) (bool, error) {
	return v.secrets.DeleteSecret(ctx, tenantID, name)
}

// openAll opens every stored value with seal, dropping each at once, and
// counts them and those that do not open; it names the first keepNames of
// those.
func (v *vault) openAll(ctx context.Context, seal *sealer, keepNames int) (total, bad int, named []store.Sealed, err error) {
	err = v.secrets.EachSealed(ctx, func(s store.Sealed) error {
		total++
		if _, err := seal.open(s.TenantID, s.Name, s.Value); err != nil {
			bad++
			if len(named) < keepNames {
				named = append(named, store.Sealed{TenantID: s.TenantID, Name: s.Name})
			}
		}
		return nil
	})
	return total, bad, named, err
}
