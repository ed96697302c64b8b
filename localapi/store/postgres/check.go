package postgres

import (
	"context"
	"errors"
	"fmt"
)

// tables are the store's tables, each read by Check.
var tables = []string{"tenant", "users", "membership", "api_key", "secret", "meta", "audit_event"}

// Check verifies the storage (the vault opens the values): the schema is
// current, every table reads through (its rows and their visibility), and
// the audit trail's append-only triggers are there and enabled.
func (db *DB) Check(ctx context.Context) error {
	var faults []error
	pending, err := db.migrator.HasPending(ctx)
	if err != nil {
		return db.err(fmt.Errorf("read the schema version: %w", err))
	}
	if pending {
		faults = append(faults, errors.New("the schema is not current: migrations are pending"))
	}
	for _, t := range tables {
		var n int64
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			faults = append(faults, fmt.Errorf("table %s: %w", t, db.err(err)))
		}
	}
	var triggers int
	err = db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_trigger
		WHERE tgrelid = 'audit_event'::regclass AND tgname IN ('audit_event_append_only', 'audit_event_no_truncate') AND tgenabled <> 'D'`).
		Scan(&triggers)
	if err != nil {
		faults = append(faults, fmt.Errorf("audit triggers: %w", db.err(err)))
	} else if triggers != 2 {
		faults = append(faults, errors.New("the audit trail is not append-only: its triggers are missing or disabled"))
	}
	if len(faults) > 0 {
		return fmt.Errorf("integrity check: %w", errors.Join(faults...))
	}
	return nil
}
