package localapi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/sqlite"
)

// Mode says who opens a data directory.
type Mode int

const (
	// AsServer is the API server: it makes a new store (and master key) in
	// a directory that holds none, takes the directory's lock for as long as
	// the store is open (one server per directory), and, as the only writer
	// of secrets, keeps their names in memory.
	AsServer Mode = iota + 1
	// AsAdmin is an admin command (team, key, member, audit, store): it runs
	// beside a server, and is refused a directory that holds no store, so a
	// typo in --data-dir creates nothing. It never migrates: a store whose
	// schema is not this program's is refused (ErrSchemaBehind,
	// ErrSchemaAhead), changing nothing, for the server beside it may be of
	// another version.
	AsAdmin
	// AsBackup is `store backup`: AsAdmin, read-only, and it opens a store
	// whose schema is older than this program's too, as it is: a backup
	// taken with a new binary before the upgrade (the old server still
	// running) holds the store at its old version, and restores with the
	// binary that made the store. A newer schema is refused (ErrSchemaAhead).
	AsBackup
)

// Refusals when opening a store: the operator must act (their messages say
// how). Test with errors.Is.
var (
	// ErrNoStore: an admin command was pointed at a directory that holds
	// no store.
	ErrNoStore = errors.New("no store in the data directory")
	// ErrDatabaseMissing: the master key file is there, the database is
	// missing or empty: the store was lost, and a new one must not quietly
	// replace it.
	ErrDatabaseMissing = errors.New("database missing while a master key exists")
	// ErrMasterKeyMissing: the store exists, and neither master.key nor
	// TEAMSECRETS_MASTER_KEY is there.
	ErrMasterKeyMissing = errors.New("master key missing")
	// ErrWrongMasterKey: the master key is not the one the store's values
	// were sealed with.
	ErrWrongMasterKey = errors.New("wrong master key")
	// ErrSchemaBehind: an admin command found the store's schema older
	// than this program's; admin commands never migrate.
	ErrSchemaBehind = errors.New("store schema older than this program's")
	// ErrSchemaAhead: the store's schema is newer than this program's (a
	// newer program migrated it).
	ErrSchemaAhead = errors.New("store schema newer than this program's")
)

// refusal is one of the errors above with its full message.
type refusal struct {
	kind error
	msg  string
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.kind }

func refuseOpen(kind error, format string, args ...any) error {
	return &refusal{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Open opens the store in dataDir as mode says, its master key from
// TEAMSECRETS_MASTER_KEY or dataDir/master.key, and refuses what would lose
// or hide data:
//
//   - a database missing or empty (0 bytes) while master.key exists
//     (ErrDatabaseMissing);
//   - a store with data whose master key is gone (ErrMasterKeyMissing);
//     a new key is made only for a new store;
//   - a master key that does not open the store's key check, or, for a
//     store made before the key check, any of its values
//     (ErrWrongMasterKey);
//   - for AsAdmin and AsBackup, a directory without a store (ErrNoStore),
//     and a store whose schema they do not open as it is (ErrSchemaBehind,
//     ErrSchemaAhead): only the server migrates.
func Open(dataDir string, mode Mode) (*Store, error) {
	return open(dataDir, mode, func(isNew bool) (masterKey, error) {
		return loadMasterKey(dataDir, isNew && mode == AsServer, dataDir)
	})
}

// OpenStore opens, as its server, the store in dataDir (making it if
// there is none) with a master key given by the caller (tests, tools).
func OpenStore(dataDir string, key []byte) (*Store, error) {
	return open(dataDir, AsServer, func(bool) (masterKey, error) {
		return masterKey{keys: [][]byte{key}, source: "OpenStore's argument"}, nil
	})
}

func open(dataDir string, mode Mode, loadKey func(isNew bool) (masterKey, error)) (*Store, error) {
	rule, err := mode.schemaRule()
	if err != nil {
		return nil, err
	}
	holds, err := sqlite.Holds(dataDir)
	if err != nil {
		return nil, err
	}
	if !holds {
		if keyPath := filepath.Join(dataDir, MasterKeyFile); fileExists(keyPath) {
			return nil, refuseOpen(ErrDatabaseMissing,
				"the database %s is missing or empty (0 bytes), but the master key %s exists: the store was lost or moved, "+
					"and a new one would start without its teams, keys and secrets. Restore %[1]s from your backup; "+
					"to start a new, empty store instead, move master.key out of %[3]s first",
				filepath.Join(dataDir, sqlite.DBFile), keyPath, dataDir)
		}
		if mode != AsServer {
			return nil, refuseOpen(ErrNoStore,
				"%s holds no Team Secrets store (no %s there): check --data-dir or TEAMSECRETS_DATA_DIR. "+
					"Only the server (`teamsecrets` or `teamsecrets api`) makes a new store",
				dataDir, sqlite.DBFile)
		}
	}
	b, err := sqlite.Open(dataDir, sqlite.Options{Create: mode == AsServer, Own: mode == AsServer, Schema: rule})
	if err != nil {
		return nil, schemaRefusal(err, dataDir, mode, "`teamsecrets store backup`")
	}
	s, err := newStore(context.Background(), b, dataDir, false, mode == AsBackup, loadKey)
	if err != nil {
		b.Close()
		return nil, err
	}
	return s, nil
}

// schemaRule is what opening the store as m does with its schema.
func (m Mode) schemaRule() (store.SchemaRule, error) {
	switch m {
	case AsServer:
		return store.Migrate, nil
	case AsAdmin:
		return store.RequireCurrent, nil
	case AsBackup:
		return store.ReadOlder, nil
	}
	return 0, fmt.Errorf("open store: unknown mode %d", m)
}

// schemaRefusal is err, or, when the backend refused the store's schema
// version, the refusal that says what to do; backup says, for AsAdmin, how
// to back up the store as it is.
func schemaRefusal(err error, where string, mode Mode, backup string) error {
	var se *store.SchemaError
	if !errors.As(err, &se) {
		return err
	}
	if se.Ahead() {
		return refuseOpen(ErrSchemaAhead,
			"the store in %s has schema version %d, newer than this program's (%d): a newer teamsecrets migrated it. "+
				"Use that version's binary (or a newer one) for the server and the admin commands; this one does not know "+
				"the newer schema and changed nothing",
			where, se.Have, se.Want)
	}
	if se.TooOld {
		return refuseOpen(ErrSchemaBehind,
			"the store in %s has schema version %d, older than this program's (%d) and too old for `store backup` to read "+
				"as it is, and admin commands never migrate a store: back it up with the teamsecrets binary that matches it, "+
				"or start this version's server first (it migrates the store as it starts). Nothing was changed",
			where, se.Have, se.Want)
	}
	also := ""
	if mode == AsAdmin {
		also = " (" + backup + " backs up the store as it is, before the upgrade)"
	}
	return refuseOpen(ErrSchemaBehind,
		"the store in %s has schema version %d, older than this program's (%d), and admin commands never migrate a store: "+
			"a server of the older version may be serving it. Start this version's server (`teamsecrets` or `teamsecrets api`) "+
			"first: it migrates the store as it starts; or run the teamsecrets binary that matches the store%s. Nothing was changed",
		where, se.Have, se.Want, also)
}

// newStore puts the vault on a backend, once the master key is known to be
// the store's: a key of the source's ring opens the stored key check, or,
// on a store that has none yet (new, or made before there was one), the
// ring's first key opens every value, and a check is then stored (unless
// readOnly: such a store is then refused). where names the store in
// messages; shared says several instances may serve it (each needs the
// same key). The vault reads the key source again with loadKey(false) when
// the store's key changes (keyring.go).
func newStore(ctx context.Context, b store.Backend, where string, shared, readOnly bool, loadKey func(isNew bool) (masterKey, error)) (*Store, error) {
	check, err := b.KeyCheck(ctx)
	hasCheck := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("read the master key check: %w", err)
	}
	if !hasCheck && readOnly {
		return nil, fmt.Errorf("the store in %s has no master key check yet, so a copy could not be proved to open with the master key: "+
			"start the server once (it stores the check), then back up", where)
	}
	isNew := false
	if !hasCheck {
		if isNew, err = b.Empty(ctx); err != nil {
			return nil, err
		}
	}
	mk, err := loadKey(isNew)
	if err != nil {
		return nil, err
	}
	ring, err := newRing(mk)
	if err != nil {
		return nil, err
	}
	kr := &keyring{checks: b, load: func() (masterKey, error) { return loadKey(false) }}
	v := &vault{keys: kr, secrets: b}
	if !hasCheck {
		total, bad, _, err := v.openAll(ctx, ring[0], 0)
		if err != nil {
			return nil, err
		}
		if bad > 0 {
			return nil, wrongKey(mk, where, shared, fmt.Sprintf("%d of its %d values do not open with it", bad, total))
		}
		sealed, err := ring[0].sealCheck()
		if err != nil {
			return nil, err
		}
		if err := b.InitKeyCheck(ctx, sealed); err != nil {
			return nil, fmt.Errorf("store the master key check: %w", err)
		}
		// Read back: a process opening the store at the same time with
		// another key may have stored its check first.
		if check, err = b.KeyCheck(ctx); err != nil {
			return nil, fmt.Errorf("read the master key check: %w", err)
		}
	}
	st := stateFor(mk, ring, check)
	if st == nil && mk.file != "" && !mk.created {
		// A rotation may have rewritten the file between the two reads.
		st, _ = kr.reload(ctx)
	}
	if st == nil {
		if mk.created {
			// This open made the key for a store it took to be new, and
			// another process gave the store its key first: nothing was
			// sealed with this one, and keeping it would only fail the next
			// start the same way.
			os.Remove(mk.file)
		}
		return nil, wrongKey(mk, where, shared, "it does not open the store's key check")
	}
	kr.state.Store(st)
	sh, _ := b.(store.Shared)
	return &Store{backend: b, vault: v, shared: sh}, nil
}

// wrongKey says which key was used and what to do.
func wrongKey(mk masterKey, where string, shared bool, why string) error {
	do := fmt.Sprintf("restore %s from your backup, or set %s to the store's key", MasterKeyFile, MasterKeyEnv)
	if mk.source == MasterKeyEnv {
		do = fmt.Sprintf("set %s to the store's key, or unset it to use %s (restore that from your backup if it is gone)",
			MasterKeyEnv, MasterKeyFile)
	}
	what := fmt.Sprintf("the master key from %s is not the key of the store in %s (%s)", mk.source, where, why)
	if len(mk.keys) > 1 {
		what = fmt.Sprintf("none of the %d master keys from %s is the key of the store in %s (%s)",
			len(mk.keys), mk.source, where, strings.Replace(why, "it does not open", "none opens", 1))
	}
	if shared {
		do += "; every instance serving the store needs its key"
		if mk.created {
			do += fmt.Sprintf(" (the %s just made here was removed)", MasterKeyFile)
		}
	}
	return refuseOpen(ErrWrongMasterKey, "%s: %s. No value was served or written", what, do)
}

// masterKeyMissing refuses a store (in where: the data directory or the
// database) whose key is in neither dataDir nor the environment.
func masterKeyMissing(where, dataDir string) error {
	if where == dataDir {
		return refuseOpen(ErrMasterKeyMissing,
			"the store in %s exists, but its master key is missing: no %s there and %s is not set. "+
				"Without it no value can be read, so no new key is made: restore %[2]s from your backup into %[1]s, "+
				"or set %[3]s to the store's key",
			dataDir, MasterKeyFile, MasterKeyEnv)
	}
	return refuseOpen(ErrMasterKeyMissing,
		"the store in %s exists, but its master key is missing: no %s in %s and %s is not set. "+
			"Without it no value can be read, so no new key is made: set %[4]s to the store's key "+
			"(the same on every instance), or restore %[2]s from your backup into %[3]s",
		where, MasterKeyFile, dataDir, MasterKeyEnv)
}
