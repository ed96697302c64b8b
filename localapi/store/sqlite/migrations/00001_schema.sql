-- Teams, users, memberships, API keys (hashes only) and sealed values.

-- +goose Up
CREATE TABLE tenant (
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
CREATE INDEX secret_by_folded_name ON secret (tenant_id, name COLLATE NOCASE, name);
