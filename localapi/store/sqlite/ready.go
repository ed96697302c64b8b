package sqlite

import (
	"context"
	"fmt"

	"teamsecrets/localapi/store"
)

// Ready reads the schema version through the read pool: one query that
// reads the database file's header, and no migration pending (PRAGMA
// user_version counts the migrations that ran; this program has
// as many as its migration files). A version above it means a newer program migrated the
// store: this one must not serve it either.
func (db *DB) Ready(ctx context.Context) error {
	var version int
	if err := db.read.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return dbError(err)
	}
	if want := len(db.migrator.ListSources()); version != want {
		return fmt.Errorf("%w: the database is at version %d, this program's is %d", store.ErrSchemaNotCurrent, version, want)
	}
	return nil
}
