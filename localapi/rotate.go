package localapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"teamsecrets/keyfile"
	"teamsecrets/localapi/store"
)

// Rotating the master key: every value and the key check are resealed
// under a new key in one transaction (store.Rekey), and the key source is
// changed around it so that the store opens at every moment, a crash
// included:
//
//   - master.key (one server, keys in the data directory): a new key is
//     made; the file becomes "NEW\nCURRENT" before the reseal commits
//     (either key opens the store then: the one that opens its check seals),
//     and "NEW" after. A failed reseal puts the file back as it was.
//   - TEAMSECRETS_MASTER_KEY (several instances): the operator gives every
//     instance the ring "NEW,CURRENT" first; the reseal moves the store to
//     the ring's first key. The environment is never changed from here.
//
// Processes serving the store meanwhile follow it (keyring.go).

// ErrNothingToRotate: the key source offers no new key to rotate to
// (TEAMSECRETS_MASTER_KEY holds the store's key alone, or first).
var ErrNothingToRotate = errors.New("no new master key to rotate to")

// ErrUnreadableValue: a value does not open with the store's current master
// key, so it cannot be resealed; nothing was changed.
var ErrUnreadableValue = errors.New("a value does not open with the store's master key")

// ErrRotationRunning: another rotation of the same data directory holds
// its lock.
var ErrRotationRunning = errors.New("another master key rotation is running")

// RotateReport says what a rotation did (never a key).
type RotateReport struct {
	Values int           // values resealed
	Took   time.Duration // the reseal's transaction
	Source string        // where the new key is: master.key's path, or TEAMSECRETS_MASTER_KEY
	// Warning is set when the rotation is done but master.key could not
	// be rewritten to hold the new key alone: it still holds the old key
	// as its second line (the store opens; the line should go).
	Warning string

	epoch store.KeyEpoch // the new key check
}

// rotation steps after which a test may stop a rotation as a crash would.
const (
	stepFileHoldsBoth = "master.key holds the new and the current key"
	stepResealed      = "values resealed"
)

// crashForTest, when set by a test, stops a rotation after the step it
// returns true for, as a crash there would: no clean-up runs.
var crashForTest func(step string) bool

var errCrashForTest = errors.New("rotation stopped by the test as a crash would")

func crashAt(step string) bool { return crashForTest != nil && crashForTest(step) }

// RotateMasterKey moves the store to a new master key: with master.key, one
// it makes; with TEAMSECRETS_MASTER_KEY, the variable's first key (see
// above). Every value and the key check are resealed in one transaction,
// recorded in the audit trail. Nothing is changed when a value does not
// open with the current key (ErrUnreadableValue, naming it), when the
// source's keys do not open the store (ErrWrongMasterKey), or when there is
// no new key (ErrNothingToRotate).
func (s *Store) RotateMasterKey(ctx context.Context) (RotateReport, error) {
	mk, err := s.vault.keys.load()
	if err != nil {
		return RotateReport{}, err
	}
	switch {
	case mk.file != "":
		return s.rotateFile(ctx, mk.file)
	case mk.source == MasterKeyEnv:
		return s.rotateEnv(ctx, mk)
	}
	return RotateReport{}, fmt.Errorf("%w: the master key came from %s, which cannot hold a new one", ErrNothingToRotate, mk.source)
}

// rotateFile rotates to a new key kept in master.key at path.
func (s *Store) rotateFile(ctx context.Context, path string) (RotateReport, error) {
	unlock, err := keyfile.Lock(path + ".lock")
	if errors.Is(err, keyfile.ErrLocked) {
		return RotateReport{}, fmt.Errorf("%w on %s: wait for it to end", ErrRotationRunning, path)
	}
	if err != nil {
		return RotateReport{}, err
	}
	defer unlock()
	// Read under the lock: a rotation that just ended changed the file.
	mk, err := readMasterKeyFile(path)
	if err != nil {
		return RotateReport{}, err
	}
	from, i, err := s.currentKey(ctx, mk)
	if err != nil {
		return RotateReport{}, err
	}
	cur := mk.keys[i]
	before, err := keyfile.Read(path)
	if err != nil {
		return RotateReport{}, err
	}
	newKey := newMasterKey()
	to, err := newSealer(newKey)
	if err != nil {
		return RotateReport{}, err
	}
	if err := keyfile.Replace(path, formatKeyRing(newKey, cur)); err != nil {
		return RotateReport{}, fmt.Errorf("write the new key to %s: %w (nothing was changed)", path, err)
	}
	if crashAt(stepFileHoldsBoth) {
		return RotateReport{}, errCrashForTest
	}
	r, err := s.reseal(ctx, from, to, []*sealer{to, from.seal}, path)
	if err != nil {
		if rerr := keyfile.Replace(path, before); rerr != nil {
			return r, fmt.Errorf("%w; and %s could not be put back (%v): it holds a new, unused key on its first line "+
				"and the store's key on its second, and the store opens with it", err, path, rerr)
		}
		return r, err
	}
	if crashAt(stepResealed) {
		return r, errCrashForTest
	}
	if err := keyfile.Replace(path, formatKeyRing(newKey)); err != nil {
		r.Warning = fmt.Sprintf("%s could not be rewritten to hold the new key alone (%v): its second line is the old key; "+
			"the store opens with the file as it is, but remove that line", path, err)
		return r, nil
	}
	s.vault.keys.state.Store(&keyState{seal: to, ring: []*sealer{to}, epoch: r.epoch, source: path})
	return r, nil
}

// rotateEnv rotates to the first key of TEAMSECRETS_MASTER_KEY.
func (s *Store) rotateEnv(ctx context.Context, mk masterKey) (RotateReport, error) {
	from, i, err := s.currentKey(ctx, mk)
	if err != nil {
		return RotateReport{}, err
	}
	if i == 0 {
		return RotateReport{}, fmt.Errorf("%w: the first key of %s is the store's key already. "+
			"Make a new key with `teamsecrets store rotate-master-key --generate FILE`, give every instance "+
			"%[2]s=NEW,CURRENT (the new key first) and restart them one by one, then run this again with that ring",
			ErrNothingToRotate, MasterKeyEnv)
	}
	return s.reseal(ctx, from, from.ring[0], from.ring, MasterKeyEnv)
}

// currentKey is the state for the key of mk's ring that opens the store's
// check, and that key's place in the ring.
func (s *Store) currentKey(ctx context.Context, mk masterKey) (*keyState, int, error) {
	check, err := s.backend.KeyCheck(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("read the master key check: %w", err)
	}
	ring, err := newRing(mk)
	if err != nil {
		return nil, 0, err
	}
	for i, sl := range ring {
		if sl.opensCheck(check) {
			return &keyState{seal: sl, ring: ring, epoch: store.KeyEpoch(check), source: mk.source}, i, nil
		}
	}
	return nil, 0, wrongKey(mk, "this store", false, "it does not open the store's key check")
}

// reseal moves every value from from's key to to in one transaction, and
// then has the vault seal under to, opening with ring.
func (s *Store) reseal(ctx context.Context, from *keyState, to *sealer, ring []*sealer, source string) (RotateReport, error) {
	check, err := to.sealCheck()
	if err != nil {
		return RotateReport{}, err
	}
	slugs, err := s.teamSlugs(ctx)
	if err != nil {
		return RotateReport{}, err
	}
	start := time.Now()
	n, err := s.backend.ResealAll(ctx, from.epoch, check, func(v store.Sealed) ([]byte, error) {
		plain, err := from.seal.open(v.TenantID, v.Name, v.Value)
		if err != nil {
			team := slugs[v.TenantID]
			if team == "" {
				team = v.TenantID
			}
			return nil, fmt.Errorf("%w: %s/%s (damaged, or sealed under another key). Nothing was changed; "+
				"`teamsecrets store check` lists every such value", ErrUnreadableValue, team, v.Name)
		}
		defer clear(plain)
		return to.seal(v.TenantID, v.Name, plain)
	})
	if errors.Is(err, store.ErrKeyChanged) {
		return RotateReport{}, fmt.Errorf("the store's master key changed after this rotation began (another rotation?): nothing was changed; run it again")
	}
	if err != nil {
		return RotateReport{}, err
	}
	s.vault.keys.state.Store(&keyState{seal: to, ring: ring, epoch: check, source: from.source})
	return RotateReport{Values: n, Took: time.Since(start), Source: source, epoch: check}, nil
}

func (s *Store) teamSlugs(ctx context.Context) (map[string]string, error) {
	teams, err := s.backend.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	slugs := make(map[string]string, len(teams))
	for _, t := range teams {
		slugs[t.ID] = t.Slug
	}
	return slugs, nil
}

// GenerateMasterKey writes a new random master key (base64) to a new file
// at path, mode 0600; it refuses a file that exists. For a rotation with
// TEAMSECRETS_MASTER_KEY: the operator puts it first in every instance's
// ring. The key is never printed.
func GenerateMasterKey(path string) error {
	err := keyfile.Create(path, base64.StdEncoding.EncodeToString(newMasterKey()))
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists already: nothing was written (choose a new file; a key file is never overwritten)", path)
	}
	return err
}
