package localapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"teamsecrets/localapi/store"
)

// The vault's keys. A master key source holds a ring (masterkey.go); the
// vault seals under the ring's key that opens the store's key check, and
// opens values under any key of the ring.
//
// A rotation (rotate.go, possibly another process) reseals every value
// and replaces the check in one transaction. A vault that sealed beside
// the old check then has its writes refused by the backend
// (store.ErrKeyChanged, checked in the write's transaction) and its reads
// find values that open under no key it uses. Either way it refreshes:
// it reads the check again, and the key source again (a file may have
// changed; the environment cannot), takes the key that opens the new
// check, and retries once. So a running server follows a rotation without
// an error served and without a value written under the old key.

// keyState is what the vault seals and opens with at one time. It is never
// changed: a refresh makes a new one.
type keyState struct {
	seal   *sealer        // opens epoch: new values are sealed under it
	ring   []*sealer      // the source's keys, seal among them
	epoch  store.KeyEpoch // the store's key check that seal opens
	source string         // where the keys came from, for messages
}

// open opens a sealed value with the sealing key, else any key of the ring.
func (k *keyState) open(tenantID, name string, sealed []byte) ([]byte, error) {
	plain, err := k.seal.open(tenantID, name, sealed)
	if err == nil {
		return plain, nil
	}
	for _, s := range k.ring {
		if s != k.seal {
			if p, e := s.open(tenantID, name, sealed); e == nil {
				return p, nil
			}
		}
	}
	return nil, err
}

// newRing makes a sealer of each key.
func newRing(mk masterKey) ([]*sealer, error) {
	ring := make([]*sealer, len(mk.keys))
	for i, k := range mk.keys {
		s, err := newSealer(k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", mk.source, err)
		}
		ring[i] = s
	}
	return ring, nil
}

// stateFor is the state whose sealing key is the ring's key that opens
// check, or nil when none does.
func stateFor(mk masterKey, ring []*sealer, check []byte) *keyState {
	for _, s := range ring {
		if s.opensCheck(check) {
			return &keyState{seal: s, ring: ring, epoch: store.KeyEpoch(check), source: mk.source}
		}
	}
	return nil
}

// ErrMasterKeyNotHeld: no master key of this process opens the store's key
// check (the store was rotated to a key this process was not given): it can
// neither open a value nor write one.
var ErrMasterKeyNotHeld = errors.New("no master key of this process opens the store's key check")

// refreshFailPause is how long after a refresh that found no key another
// is not tried: a request for a value that opens under no key costs no more
// than one check read, not a read of the key file each time.
const refreshFailPause = time.Second

// keyring holds the vault's current state and refreshes it.
type keyring struct {
	checks store.KeyCheck
	load   func() (masterKey, error) // reads the key source again

	state atomic.Pointer[keyState]

	mu         sync.Mutex // one refresh at a time
	lastFailed time.Time
}

func (kr *keyring) current() *keyState { return kr.state.Load() }

// refresh is called by a request that found seen, its state, out of date:
// a write refused with store.ErrKeyChanged, or a value that opened under
// no key of the ring. It reads the store's check; if it is still seen's,
// nothing changed (the value is damaged) and it returns seen. Otherwise it
// takes the ring key that opens the new check, reading the key source
// again if none of seen's does.
func (kr *keyring) refresh(ctx context.Context, seen *keyState) (*keyState, error) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if cur := kr.current(); cur != seen {
		return cur, nil // another request refreshed meanwhile
	}
	check, err := kr.checks.KeyCheck(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the master key check: %w", err)
	}
	if bytes.Equal(check, seen.epoch) {
		return seen, nil
	}
	next := stateFor(masterKey{source: seen.source}, seen.ring, check)
	if next == nil {
		if time.Since(kr.lastFailed) < refreshFailPause {
			return nil, kr.noKey(seen.source)
		}
		if next, err = kr.reload(ctx); err != nil {
			kr.lastFailed = time.Now()
			return nil, err
		}
	}
	kr.state.Store(next)
	return next, nil
}

// reload reads the check and the key source, in that order, and returns
// the state for them. A rotation writes its new key to the source before
// it commits the check and drops the old one only after; reading in this
// order, a reload during a rotation may still meet the old key in a file
// already rewritten, so it tries once more.
func (kr *keyring) reload(ctx context.Context) (*keyState, error) {
	var source string
	for range 2 {
		check, err := kr.checks.KeyCheck(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the master key check: %w", err)
		}
		mk, err := kr.load()
		if err != nil {
			return nil, err
		}
		ring, err := newRing(mk)
		if err != nil {
			return nil, err
		}
		if st := stateFor(mk, ring, check); st != nil {
			return st, nil
		}
		source = mk.source
	}
	return nil, kr.noKey(source)
}

func (kr *keyring) noKey(source string) error {
	return fmt.Errorf("%w: the store's master key was rotated to a key that %s does not hold; "+
		"give this process the store's key (see README, Rotating the master key) and restart it", ErrMasterKeyNotHeld, source)
}

// ready reports whether a key of this process opens the store's key check
// as it is now: one read of the check when nothing changed; when it did, a
// refresh, which takes the new key from the source if it is there (and
// tries the source at most once a refreshFailPause). Its error wraps
// ErrMasterKeyNotHeld when no key opens the check.
func (kr *keyring) ready(ctx context.Context) error {
	ks := kr.current()
	check, err := kr.checks.KeyCheck(ctx)
	if err != nil {
		return fmt.Errorf("read the master key check: %w", err)
	}
	if bytes.Equal(check, ks.epoch) {
		return nil
	}
	_, err = kr.refresh(ctx, ks)
	return err
}
