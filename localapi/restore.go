package localapi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/sqlite"
)

// Refusals of Restore besides Open's (ErrMasterKeyMissing,
// ErrWrongMasterKey, ErrSchemaAhead); test with errors.Is.
var (
	// ErrServerRunning: a server serves the data directory.
	ErrServerRunning = errors.New("a server is running on the data directory")
	// ErrNotABackup: the file is not a sound Team Secrets database.
	ErrNotABackup = sqlite.ErrNotABackup
)

// RestoreReport says what Restore did (never a key).
type RestoreReport struct {
	Backup, Database string // absolute paths
	Bytes            int64
	Teams, Values    int
	// Version is the backup's schema version, Current this program's: the
	// server migrates an older one as it starts.
	Version, Current int64
	// Aside is the directory the replaced files were moved to, Moved their
	// names; empty when the data directory held none.
	Aside     string
	Moved     []string
	KeySource string // where the master key that opens the backup came from
}

// Restore replaces the SQLite store in dataDir with the backup at path
// (see sqlite.Restore): refused while a server serves the directory
// (ErrServerRunning), for a file that is not a sound store
// (ErrNotABackup), one made by a newer program (ErrSchemaAhead), or one
// whose key check does not open with the master key the server will use,
// TEAMSECRETS_MASTER_KEY's or dataDir/master.key's (ErrMasterKeyMissing,
// ErrWrongMasterKey). A refusal changes nothing. The replaced database and
// the files beside it are moved aside, never deleted.
func Restore(ctx context.Context, dataDir, path string) (RestoreReport, error) {
	r := RestoreReport{}
	abs, err := filepath.Abs(path)
	if err != nil {
		return r, err
	}
	r.Backup = abs
	if _, err := os.Stat(dataDir); errors.Is(err, os.ErrNotExist) {
		return r, fmt.Errorf("the data directory %s does not exist: create it (mode 0700, owned by the user the server runs as), "+
			"put the store's %s in it (or set %s), and restore again; nothing was changed", dataDir, MasterKeyFile, MasterKeyEnv)
	}
	info, err := sqlite.Restore(ctx, dataDir, abs, func(check []byte) error {
		mk, err := loadMasterKey(dataDir, false, dataDir)
		if errors.Is(err, ErrMasterKeyMissing) {
			return refuseOpen(ErrMasterKeyMissing,
				"no master key to check the backup with: no %s in %s and %s is not set. Put the key the backup was made under "+
					"in %[2]s (or set %[3]s), as the server will need it, and restore again; nothing was changed",
				MasterKeyFile, dataDir, MasterKeyEnv)
		}
		if err != nil {
			return err
		}
		ring, err := newRing(mk)
		if err != nil {
			return err
		}
		if stateFor(mk, ring, check) == nil {
			return refuseOpen(ErrWrongMasterKey,
				"the backup %s does not open with the master key from %s: it was made under another key (a backup made "+
					"before a key rotation needs the key of then). Put that key in %s or set %s (the server needs the same), "+
					"and restore again; nothing was changed", abs, mk.source, filepath.Join(dataDir, MasterKeyFile), MasterKeyEnv)
		}
		r.KeySource = mk.source
		return nil
	})
	var se *store.SchemaError
	switch {
	case errors.Is(err, sqlite.ErrDataDirInUse):
		return r, refuseOpen(ErrServerRunning,
			"a teamsecrets server is running on %s (it holds the directory's lock): stop it first (for example "+
				"`systemctl stop teamsecrets`), then restore, then start it again; nothing was changed", dataDir)
	case errors.As(err, &se) && se.Ahead():
		return r, refuseOpen(ErrSchemaAhead,
			"the backup %s has schema version %d, newer than this program's (%d): a newer teamsecrets made it. "+
				"Restore it with that version; nothing was changed", abs, se.Have, se.Want)
	case errors.As(err, &se):
		return r, fmt.Errorf("%w: the backup %s has schema version %d, older than any this program restores (it has no "+
			"master key check): restore it by hand (README, Backup and restore); nothing was changed", ErrNotABackup, abs, se.Have)
	case errors.Is(err, ErrNotABackup):
		return r, fmt.Errorf("%w; nothing was changed", err)
	case err != nil:
		return r, err
	}
	r.Database, r.Bytes, r.Teams, r.Values = info.Database, info.Bytes, info.Teams, info.Values
	r.Version, r.Current, r.Aside, r.Moved = info.Version, info.Current, info.Aside, info.Moved
	return r, nil
}
