package localapi

import (
	"bytes"
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
//     and "NEW" after. A failed reseal puts the file back as it was, if the
//     store's check shows that it did not commit. The file keeps its owner
//     (the server's user) and stays a symbolic link if it was one.
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

// ErrKeySourcesMixed: a rotation through TEAMSECRETS_MASTER_KEY while the
// data directory holds a master.key, which a server started without the
// variable would use, and which the rotation would leave opening nothing.
var ErrKeySourcesMixed = errors.New("master.key is in the data directory while TEAMSECRETS_MASTER_KEY is set")

// RotateOptions change how RotateMasterKey proceeds.
type RotateOptions struct {
	// Force rotates through TEAMSECRETS_MASTER_KEY even though the data
	// directory holds a master.key (ErrKeySourcesMixed otherwise).
	Force bool
}

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
// no new key (ErrNothingToRotate), nor, with TEAMSECRETS_MASTER_KEY, when
// the data directory holds a master.key, unless opts.Force
// (ErrKeySourcesMixed).
func (s *Store) RotateMasterKey(ctx context.Context) (RotateReport, error) {
	return s.RotateMasterKeyWith(ctx, RotateOptions{})
}

// RotateMasterKeyWith is RotateMasterKey with options.
func (s *Store) RotateMasterKeyWith(ctx context.Context, opts RotateOptions) (RotateReport, error) {
	mk, err := s.vault.keys.load()
	if err != nil {
		return RotateReport{}, err
	}
	switch {
	case mk.file != "":
		return s.rotateFile(ctx, mk.file)
	case mk.source == MasterKeyEnv:
		if mk.besideFile != "" && !opts.Force {
			return RotateReport{}, fmt.Errorf("%w: %s is set, and %s exists, which a server started without the variable uses; "+
				"after this rotation the file's key would open nothing, and such a server could neither read nor write a value. "+
				"Nothing was changed. If the server uses %[3]s, unset %[2]s here and run this again (the new key is then made "+
				"and kept in that file); if every server uses %[2]s, move %[3]s out of the data directory (keep it with your backups) "+
				"and run this again, or run it with --force",
				ErrKeySourcesMixed, MasterKeyEnv, mk.besideFile)
		}
		return s.rotateEnv(ctx, mk)
	}
	return RotateReport{}, fmt.Errorf("%w: the master key came from %s, which cannot hold a new one", ErrNothingToRotate, mk.source)
}

// rotateFile rotates to a new key kept in master.key at path.
func (s *Store) rotateFile(ctx context.Context, path string) (RotateReport, error) {
	// Before anything: the file can be replaced as it must be, keeping its
	// owner (a key file its server cannot read would stop the server) and
	// its symbolic link, if it is one.
	if err := keyfile.CheckReplace(path); err != nil {
		if errors.Is(err, keyfile.ErrOwner) {
			return RotateReport{}, err
		}
		return RotateReport{}, fmt.Errorf("%s cannot be replaced: %w (nothing was changed)", path, err)
	}
	lockPath := path + ".lock"
	unlock, err := keyfile.Lock(lockPath)
	if errors.Is(err, keyfile.ErrLocked) {
		return RotateReport{}, fmt.Errorf("%w on %s: wait for it to end", ErrRotationRunning, path)
	}
	if errors.Is(err, fs.ErrPermission) {
		return RotateReport{}, fmt.Errorf("%w (nothing was changed): it belongs to another user, who ran a rotation before; "+
			"it holds nothing, so remove it and run this again as the owner of %s", err, path)
	}
	if err != nil {
		return RotateReport{}, err
	}
	defer unlock()
	// The lock file, made by whoever rotated first, goes with the key file,
	// so that its owner can rotate next time. Failing that is no reason to
	// stop this rotation (the key file's owner was checked above).
	_ = keyfile.MatchOwner(lockPath, path)
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
		return r, s.afterFailedReseal(ctx, err, path, before, from, to)
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

// afterFailedReseal decides what master.key at path holds after the reseal
// failed with err, the file holding "NEW\nCURRENT": an error does not
// prove that nothing committed (a commit that fails with an I/O error after
// its log reached the disk is applied by the next recovery). So the file is
// put back as it was (before) only when the store's key check is still
// from's; otherwise it keeps both keys, which open the store whichever way
// the commit went, and the error says so.
func (s *Store) afterFailedReseal(ctx context.Context, err error, path, before string, from *keyState, to *sealer) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	check, cerr := s.backend.KeyCheck(ctx)
	switch {
	case cerr == nil && to.opensCheck(check):
		return fmt.Errorf("%w; yet the store's key check is the new key's, so the reseal did commit: %s keeps the new key "+
			"first and the old one second, and the store opens with it. Run `teamsecrets store check`, then rotate again "+
			"(or remove the second line)", err, path)
	case cerr == nil && (bytes.Equal(check, from.epoch) || errors.Is(err, store.ErrKeyChanged)):
		// Nothing of this rotation committed (the store is on the current
		// key still, or another rotation moved it first).
		if rerr := keyfile.Replace(path, before); rerr != nil {
			return fmt.Errorf("%w; and %s could not be put back (%v): it holds a new, unused key on its first line "+
				"and the store's key on its second, and the store opens with it", err, path, rerr)
		}
		return err
	case cerr == nil:
		return fmt.Errorf("%w; and the store's key check is now neither the current key's nor the new one's "+
			"(another rotation?): %s keeps the new key first and the old one second; run `teamsecrets store check`", err, path)
	}
	return fmt.Errorf("%w; whether the reseal committed is not known (the key check could not be read: %v): %s keeps "+
		"the new key first and the old one second, so the store opens whichever way it went. Run `teamsecrets store check`, "+
		"then rotate again to drop the key not in use", err, cerr, path)
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
		return RotateReport{}, fmt.Errorf("%w after this rotation began (another rotation?): nothing was changed; run it again", err)
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
