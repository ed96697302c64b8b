package sqlite

import "fmt"

// migrations run in order; PRAGMA user_version records how many have run.
// Append only: a store created by an older version runs the rest on open.
var migrations = []string{
	`CREATE TABLE tenant (
		id TEXT PRIMARY KEY,
		slug TEXT NOT NULL UNIQUE,
		name TEXT NOT NULL,
		created_at TEXT NOT NULL
	);
	CREATE TABLE user (
		id TEXT PRIMARY KEY,
		username TEXT NOT NULL UNIQUE,
		email TEXT NOT NULL DEFAULT '',
		created_at TEXT NOT NULL
	);
	CREATE TABLE membership (
		id TEXT PRIMARY KEY,
		user_id TEXT NOT NULL REFERENCES user(id),
		tenant_id TEXT NOT NULL REFERENCES tenant(id),
		role TEXT NOT NULL,
		UNIQUE (user_id, tenant_id)
	);
	CREATE TABLE api_key (
		id TEXT PRIMARY KEY,
		hash TEXT NOT NULL UNIQUE,
		user_id TEXT REFERENCES user(id),
		tenant_id TEXT NOT NULL REFERENCES tenant(id),
		role TEXT NOT NULL,
		created_at TEXT NOT NULL
	);
	CREATE TABLE secret (
		tenant_id TEXT NOT NULL REFERENCES tenant(id),
		name TEXT NOT NULL,
		sealed BLOB NOT NULL,
		updated_at TEXT NOT NULL,
		PRIMARY KEY (tenant_id, name)
	) WITHOUT ROWID;
	-- The list order: case-insensitive, then exact, so the UI need not sort.
	CREATE INDEX secret_by_folded_name ON secret (tenant_id, name COLLATE NOCASE, name);`,

	// The master key check (name 'key_check': a sealed known value).
	`CREATE TABLE meta (
		name TEXT PRIMARY KEY,
		value BLOB NOT NULL
	) WITHOUT ROWID;`,

	// API keys: a name, an expiry, a coarse last use, who made it; lists by
	// team and by user.
	`ALTER TABLE api_key ADD COLUMN name TEXT NOT NULL DEFAULT '';
	ALTER TABLE api_key ADD COLUMN expires_at TEXT;
	ALTER TABLE api_key ADD COLUMN last_used_at TEXT;
	ALTER TABLE api_key ADD COLUMN created_by TEXT;
	CREATE INDEX api_key_by_tenant ON api_key (tenant_id);
	CREATE INDEX api_key_by_user ON api_key (user_id);`,

	// Secret metadata for the list: when a name was first written, who
	// wrote the current value, and an index to page by last write.
	// Existing secrets count as created when last updated, by nobody known.
	`ALTER TABLE secret ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
	ALTER TABLE secret ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
	UPDATE secret SET created_at = updated_at;
	CREATE INDEX secret_by_updated ON secret (tenant_id, updated_at, name);`,

	// The audit trail (audit.go): append-only; retention deletes the oldest.
	`CREATE TABLE audit_event (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		at TEXT NOT NULL,
		tenant_id TEXT NOT NULL DEFAULT '',
		actor TEXT NOT NULL DEFAULT '',
		key_id TEXT NOT NULL DEFAULT '',
		key_name TEXT NOT NULL DEFAULT '',
		action TEXT NOT NULL,
		secret TEXT NOT NULL DEFAULT '',
		target TEXT NOT NULL DEFAULT '',
		outcome TEXT NOT NULL,
		request_id TEXT NOT NULL DEFAULT '',
		client_addr TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX audit_by_tenant ON audit_event (tenant_id, id);
	CREATE INDEX audit_by_secret ON audit_event (tenant_id, secret, id);
	CREATE INDEX audit_by_time ON audit_event (at);
	CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event
	BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;`,
}

func (db *DB) migrate() error {
	var version int
	if err := db.write.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	for i := version; i < len(migrations); i++ {
		tx, err := db.write.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
