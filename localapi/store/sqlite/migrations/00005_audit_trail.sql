-- The audit trail (audit.go): append-only; retention deletes the oldest.

-- +goose Up
CREATE TABLE audit_event (
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
-- +goose StatementBegin
CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_event;
