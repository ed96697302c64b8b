package localapi

import (
	"context"
	"errors"
	"fmt"
	"math"

	"teamsecrets/localapi/store"
)

// BootstrapKeyEnv names the environment variable that sets the first
// TENANT_ADMIN key instead of generating one.
const BootstrapKeyEnv = "TEAMSECRETS_BOOTSTRAP_KEY"

// Bootstrap gives an empty store a first team ("default"), an admin user and
// a TENANT_ADMIN key. It returns the key (given or generated) and whether it
// did anything; on a store that already has teams it does nothing. Of
// several instances bootstrapping one empty database at once, one makes the
// team and key; the others find the team made and do nothing.
func Bootstrap(ctx context.Context, s *Store, givenKey string) (key string, created bool, err error) {
	if givenKey != "" {
		if err := CheckChosenKey(givenKey); err != nil {
			return "", false, err
		}
	}
	empty, err := s.Empty(ctx)
	if err != nil || !empty {
		return "", false, err
	}
	t, err := s.CreateTenant(ctx, "default", "Default team")
	if errors.Is(err, store.ErrExists) {
		return "", false, nil // another instance bootstraps it
	}
	if err != nil {
		return "", false, err
	}
	if err := s.AddMember(ctx, t.Slug, RoleTenantAdmin, "admin"); err != nil {
		return "", false, err
	}
	key = givenKey
	if key == "" {
		key = newAPIKey()
	}
	// The key of user admin, who is TENANT_ADMIN of the team just made.
	if err := s.backend.CreateKey(ctx, store.NewKey{Hash: hashKey(key), Tenant: t, Role: RoleTenantAdmin, Username: "admin"}); err != nil {
		return "", false, fmt.Errorf("store bootstrap key: %w", err)
	}
	return key, true, nil
}

// Chosen keys must be as hard to guess as generated ones are: generated
// keys hold 256 random bits; a chosen key needs at least minChosenKeyLen
// characters and an estimated minChosenKeyBits of entropy.
const (
	minChosenKeyLen  = 32
	minChosenKeyBits = 100
)

// CheckChosenKey refuses an operator-chosen key (TEAMSECRETS_BOOTSTRAP_KEY)
// that is short or low in entropy, saying what is needed. The message
// never contains the key.
func CheckChosenKey(key string) error {
	need := fmt.Sprintf("use at least %d random characters, e.g. the output of `openssl rand -base64 32`, or leave %s unset and a key is generated", minChosenKeyLen, BootstrapKeyEnv)
	if len(key) < minChosenKeyLen {
		return fmt.Errorf("%s is too short (%d characters): %s", BootstrapKeyEnv, len(key), need)
	}
	if bits := entropyBits(key); bits < minChosenKeyBits {
		return fmt.Errorf("%s is too predictable (about %.0f bits of entropy, %d needed): %s", BootstrapKeyEnv, bits, minChosenKeyBits, need)
	}
	return nil
}

// entropyBits estimates a string's entropy from its character frequencies,
// discounted for runs and steps (aaaa, abcd, 1234) that a guesser tries
// first.
func entropyBits(s string) float64 {
	counts := map[byte]int{}
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	perChar := 0.0
	for _, c := range counts {
		p := float64(c) / float64(len(s))
		perChar -= p * math.Log2(p)
	}
	// Characters that continue a run or a step add almost nothing.
	predictable := 0
	for i := 2; i < len(s); i++ {
		d1, d2 := int(s[i])-int(s[i-1]), int(s[i-1])-int(s[i-2])
		if d1 == d2 && d1 >= -1 && d1 <= 1 {
			predictable++
		}
	}
	return perChar * float64(len(s)-predictable)
}
