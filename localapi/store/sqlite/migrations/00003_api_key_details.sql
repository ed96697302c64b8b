-- API keys: a name, an expiry, a coarse last use, who made it; lists by
-- team and by user.

-- +goose Up
ALTER TABLE api_key ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_key ADD COLUMN expires_at TEXT;
ALTER TABLE api_key ADD COLUMN last_used_at TEXT;
ALTER TABLE api_key ADD COLUMN created_by TEXT;
CREATE INDEX api_key_by_tenant ON api_key (tenant_id);
CREATE INDEX api_key_by_user ON api_key (user_id);
