-- The audit trail (audit.go): append-only; retention deletes the oldest.

-- +goose Up
CREATE TABLE audit_event (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at timestamptz NOT NULL,
	tenant_id text COLLATE "C" NOT NULL DEFAULT '',
	actor text NOT NULL DEFAULT '',
	key_id text NOT NULL DEFAULT '',
	key_name text NOT NULL DEFAULT '',
	action text COLLATE "C" NOT NULL,
	secret text COLLATE "C" NOT NULL DEFAULT '',
	target text NOT NULL DEFAULT '',
	outcome text NOT NULL,
	request_id text NOT NULL DEFAULT '',
	client_addr text NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_tenant ON audit_event (tenant_id, id);
CREATE INDEX audit_by_secret ON audit_event (tenant_id, secret, id);
CREATE INDEX audit_by_time ON audit_event (at);

-- +goose StatementBegin
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event
	FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
	FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();

-- +goose Down
DROP TABLE audit_event;
DROP FUNCTION audit_event_append_only();
