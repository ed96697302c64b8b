-- Secret metadata for the list: when a name was first written, who wrote
-- the current value, and an index to page by last write. Existing secrets
-- count as created when last updated, by nobody known.

-- +goose Up
ALTER TABLE secret ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
ALTER TABLE secret ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
UPDATE secret SET created_at = updated_at;
CREATE INDEX secret_by_updated ON secret (tenant_id, updated_at, name);
