-- State the instances on one database share beyond the store (shared.go):
-- UI sessions signed out, and failed authentications per client address.
-- Neither holds a secret: a session is known by the SHA-256 of its id, an
-- address by the key the limiter counts it under.

-- +goose Up
CREATE TABLE session_revocation (
	id_hash bytea PRIMARY KEY,
	until timestamptz NOT NULL
);
CREATE INDEX session_revocation_by_until ON session_revocation (until);

CREATE TABLE auth_failure (
	scope text COLLATE "C" NOT NULL,
	client text COLLATE "C" NOT NULL,
	window_end timestamptz NOT NULL,
	failures integer NOT NULL,
	PRIMARY KEY (scope, client)
);
CREATE INDEX auth_failure_by_window_end ON auth_failure (window_end);

-- +goose Down
DROP TABLE auth_failure, session_revocation;
