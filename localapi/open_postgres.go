package localapi

import (
	"context"
	"errors"
	"path/filepath"

	"teamsecrets/localapi/store/postgres"
)

// CheckDatabaseURL reports whether raw is a postgres:// or postgresql://
// URL; its error never holds the URL's password.
func CheckDatabaseURL(raw string) error { return postgres.CheckURL(raw) }

// RedactDatabaseURL is raw with its password replaced, for messages.
func RedactDatabaseURL(raw string) string { return postgres.Redact(raw) }

// OpenPostgres opens, as mode says, the store in the PostgreSQL database at
// databaseURL, which several instances may serve at once: no data-directory
// lock, no name cache. The master key is TEAMSECRETS_MASTER_KEY's, or
// dataDir/master.key's (dataDir also keeps the UI's session keys), and the
// refusals are Open's, for a database:
//
//   - a database without a store while dataDir holds master.key: the
//     store was lost, or this is not its database (ErrDatabaseMissing);
//   - for AsAdmin and AsBackup, a database without a store (ErrNoStore);
//     only the server makes one; and a store whose schema they do not open
//     as it is (ErrSchemaBehind, ErrSchemaAhead): only the server migrates;
//   - a store whose master key is missing (ErrMasterKeyMissing) or another
//     (ErrWrongMasterKey).
//
// No message holds the URL's password.
//
// A server makes a new store in a database that holds none only with the
// option CreateStore; without it an empty database is refused
// (ErrNoStore), so that a mistyped URL, or a database whose restore has not
// finished, never gets a new, empty store that users are then sent to.
func OpenPostgres(ctx context.Context, databaseURL, dataDir string, mode Mode, opts ...OpenOption) (*Store, error) {
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	return openPostgres(ctx, databaseURL, dataDir, mode, o.create, func(isNew bool) (masterKey, error) {
		return loadMasterKey(dataDir, isNew && mode == AsServer, postgres.Redact(databaseURL))
	})
}

// OpenOption changes how OpenPostgres opens a store.
type OpenOption func(*openOptions)

type openOptions struct{ create bool }

// CreateStore lets a server (AsServer) make a new store in a database that
// holds none: the first start of a deployment.
func CreateStore() OpenOption { return func(o *openOptions) { o.create = true } }

// OpenPostgresStore opens, as its server, the store in the database at
// databaseURL (making it if there is none) with a master key given by the
// caller (tests, tools).
func OpenPostgresStore(ctx context.Context, databaseURL string, key []byte) (*Store, error) {
	return openPostgres(ctx, databaseURL, "", AsServer, true, func(bool) (masterKey, error) {
		return masterKey{keys: [][]byte{key}, source: "OpenPostgresStore's argument"}, nil
	})
}

func openPostgres(ctx context.Context, databaseURL, dataDir string, mode Mode, create bool, loadKey func(isNew bool) (masterKey, error)) (*Store, error) {
	rule, err := mode.schemaRule()
	if err != nil {
		return nil, err
	}
	where := postgres.Redact(databaseURL)
	db, err := postgres.Open(ctx, databaseURL, postgres.Options{Schema: rule})
	if errors.Is(err, postgres.ErrNoStore) {
		if keyPath := filepath.Join(dataDir, MasterKeyFile); dataDir != "" && fileExists(keyPath) {
			return nil, refuseOpen(ErrDatabaseMissing,
				"the database %s holds no Team Secrets store, but the master key %s exists: the store was lost, "+
					"or this is not its database, and a new one would start without its teams, keys and secrets. "+
					"Check --database-url (TEAMSECRETS_DATABASE_URL), or restore the database from your backup; "+
					"to start a new, empty store there instead, move master.key out of %s first",
				where, keyPath, dataDir)
		}
		if mode != AsServer {
			return nil, refuseOpen(ErrNoStore,
				"the database %s holds no Team Secrets store: check --database-url or TEAMSECRETS_DATABASE_URL. "+
					"Only the server (`teamsecrets` or `teamsecrets api`, with --create-store) makes a new store", where)
		}
		if !create {
			return nil, refuseOpen(ErrNoStore,
				"the database %s holds no Team Secrets store, and nothing was created in it. If it is the right database "+
					"and this is the deployment's first start, start the server once with --create-store "+
					"(TEAMSECRETS_CREATE_STORE=true): it makes the store, team \"default\" and its first key. "+
					"Otherwise check --database-url (TEAMSECRETS_DATABASE_URL), or let the restore of the database "+
					"(pg_restore) finish first", where)
		}
		db, err = postgres.Open(ctx, databaseURL, postgres.Options{Create: true})
	}
	if err != nil {
		return nil, schemaRefusal(err, where, mode, "pg_dump")
	}
	s, err := newStore(ctx, db, where, true, mode == AsBackup, loadKey)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
