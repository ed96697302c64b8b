-- The master key check (name 'key_check': a sealed known value).

-- +goose Up
CREATE TABLE meta (
	name TEXT PRIMARY KEY,
	value BLOB NOT NULL
) WITHOUT ROWID;
