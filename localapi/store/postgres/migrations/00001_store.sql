-- The store: teams, users, memberships, API keys (hashes only), sealed
-- values, and the master key check. Every text column that is compared or
-- ordered is COLLATE "C": byte order, whatever the database's collation.

-- +goose Up
CREATE TABLE tenant (
	id text COLLATE "C" PRIMARY KEY,
	slug text COLLATE "C" NOT NULL UNIQUE,
	name text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

-- "user" is a reserved word in PostgreSQL.
CREATE TABLE users (
	id text COLLATE "C" PRIMARY KEY,
	username text COLLATE "C" NOT NULL UNIQUE,
	email text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE membership (
	id text COLLATE "C" PRIMARY KEY,
	user_id text COLLATE "C" NOT NULL REFERENCES users (id),
	tenant_id text COLLATE "C" NOT NULL REFERENCES tenant (id),
	role text NOT NULL,
	UNIQUE (user_id, tenant_id)
);

CREATE TABLE api_key (
	id text COLLATE "C" PRIMARY KEY,
	hash text COLLATE "C" NOT NULL UNIQUE,
	user_id text COLLATE "C" REFERENCES users (id),
	tenant_id text COLLATE "C" NOT NULL REFERENCES tenant (id),
	role text NOT NULL,
	name text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz,
	last_used_at timestamptz,
	created_by text COLLATE "C"
);
CREATE INDEX api_key_by_tenant ON api_key (tenant_id);
CREATE INDEX api_key_by_user ON api_key (user_id);

CREATE TABLE secret (
	tenant_id text COLLATE "C" NOT NULL REFERENCES tenant (id),
	name text COLLATE "C" NOT NULL,
	sealed bytea NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text NOT NULL DEFAULT '',
	PRIMARY KEY (tenant_id, name)
);
-- The list order: ASCII case-insensitive, then by bytes (SQLite's
-- "name COLLATE NOCASE, name"). lower() of a "C" column folds A-Z only.
CREATE INDEX secret_by_folded_name ON secret (tenant_id, lower(name), name);
CREATE INDEX secret_by_updated ON secret (tenant_id, updated_at, name);

-- The master key check (name 'key_check': a sealed known value).
CREATE TABLE meta (
	name text COLLATE "C" PRIMARY KEY,
	value bytea NOT NULL
);

-- +goose Down
DROP TABLE meta, secret, api_key, membership, users, tenant;
