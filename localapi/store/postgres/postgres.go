// Package postgres is the store backend for running several instances on
// one PostgreSQL database. Queries go through a pgx pool; the schema is
// brought up to date with goose (migrate.go, migrations/*.sql) under an
// advisory lock, so instances starting together migrate once. Every SQL
// statement of the PostgreSQL dialect lives in this package, one file per
// entity as in the SQLite backend; it stores sealed values and key hashes
// only.
//
// Several processes write the database, so it is never wrapped in the name
// cache (store.WithNameCache), and there is no data-directory lock.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"

	"teamsecrets/localapi/store"
)

// Errors of Open and of writes; test them with errors.Is.
var (
	// ErrNoStore: Open without Create found a database that holds no store.
	ErrNoStore = errors.New("the database holds no Team Secrets store")
	// ErrBadURL: not a postgres:// or postgresql:// URL.
	ErrBadURL = errors.New("not a PostgreSQL URL")
	// ErrBadText: a text to store holds a NUL byte or invalid UTF-8, which
	// PostgreSQL's text columns refuse. Nothing was written.
	ErrBadText = errors.New("holds a NUL byte or invalid UTF-8, which PostgreSQL cannot store in text")
)

// ConnectTimeout bounds making one connection (TCP, TLS, authentication),
// and then the check each new connection gets, unless the URL sets
// connect_timeout. The pool makes connections in the background, and a
// request that gave up waiting does not stop them.
const ConnectTimeout = 5 * time.Second

// Options say how Open treats the database.
type Options struct {
	// Create makes the store in a database that holds none (the server).
	// Without it Open fails with ErrNoStore, creating nothing.
	Create bool
	// Schema says what Open does with a schema at another version than
	// this program's: store.Migrate (the zero value, the server) brings it
	// up to date under the migration lock; store.RequireCurrent and
	// store.ReadOlder read the version without the lock, change nothing,
	// and refuse, with a *store.SchemaError, what they do not open (see
	// store.SchemaRule). With ReadOlder every transaction is read-only.
	Schema store.SchemaRule
}

// DB is the PostgreSQL backend.
type DB struct {
	pool     *pgxpool.Pool
	migrator *goose.Provider
	closeSQL func() error // the database/sql handle goose uses
	password []string     // of the URL, as typed and decoded: never in an error
}

var _ store.Backend = (*DB)(nil)

// CheckURL reports whether raw is a postgres:// or postgresql:// URL. Its
// error shows no more of raw than its scheme: it may hold a password.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return nil
	}
	got := "something else"
	if err == nil && u.Scheme != "" && u.Opaque == "" {
		got = "a " + u.Scheme + ":// URL"
	}
	return fmt.Errorf("%w: got %s; use postgres://USER@HOST:PORT/DATABASE (or postgresql://…)", ErrBadURL, got)
}

// Redact is raw with its password replaced by xxxxx, for messages; a text
// that does not parse as a URL is shown by its scheme alone.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		scheme, _, ok := strings.Cut(raw, "://")
		if !ok || strings.ContainsAny(scheme, "@:/?") {
			return "(a database URL that does not parse)"
		}
		return scheme + "://… (does not parse)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// passwords are raw's password (in its user part, or a password
// parameter), decoded and in each form it may take in a message: as typed,
// and escaped.
func passwords(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	if p, ok := u.User.Password(); ok && p != "" {
		out = append(out, p)
		// As typed: the user part's text after its first ':'.
		if _, rest, ok := strings.Cut(raw, "://"); ok {
			authority, _, _ := strings.Cut(rest, "/")
			authority, _, _ = strings.Cut(authority, "?")
			if at := strings.LastIndex(authority, "@"); at >= 0 {
				if _, typed, ok := strings.Cut(authority[:at], ":"); ok && typed != "" {
					out = append(out, typed)
				}
			}
		}
	}
	for _, p := range u.Query()["password"] {
		if p != "" {
			out = append(out, p)
		}
	}
	for _, p := range slices.Clone(out) {
		out = append(out, url.QueryEscape(p), url.PathEscape(p), strings.TrimPrefix(url.UserPassword("", p).String(), ":"))
	}
	// Longest first, so that a form holding another is replaced whole.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(out)
}

// Open connects to the database at rawURL and brings its schema up to date,
// or checks it, as o.Schema says (see Options.Create for a database without
// a store). The URL's password appears in no error.
func Open(ctx context.Context, rawURL string, o Options) (*DB, error) {
	if err := CheckURL(rawURL); err != nil {
		return nil, err
	}
	db := &DB{password: passwords(rawURL)}
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, db.redact(fmt.Errorf("database URL %s: %w", Redact(rawURL), err))
	}
	if _, set := cfg.ConnConfig.RuntimeParams["application_name"]; !set {
		cfg.ConnConfig.RuntimeParams["application_name"] = "teamsecrets"
	}
	if !strings.Contains(rawURL, "pool_max_conns") {
		cfg.MaxConns = 10
	}
	// The pool makes connections in the background, not bounded by the
	// request that asked for one: bound them here, or a database that
	// stops answering keeps the pool's places taken by connections that
	// never finish.
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	connectLimit := cfg.ConnConfig.ConnectTimeout
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		ctx, cancel := context.WithTimeout(ctx, connectLimit)
		defer cancel()
		return durableCommits(ctx, conn)
	}
	// READ COMMITTED whatever the database's or role's default, for every
	// statement (see inTx): under REPEATABLE READ a single UPDATE racing
	// another of the same row fails to serialize, and a reseal would read
	// a snapshot from before the writers it waited for.
	cfg.ConnConfig.RuntimeParams["default_transaction_isolation"] = "read committed"
	if o.Schema == store.ReadOlder {
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	where := Redact(rawURL)
	db.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = db.pool.Ping(ctx)
	}
	if err != nil {
		db.Close()
		return nil, db.redact(fmt.Errorf("connect to %s: %w", where, err))
	}
	if err := db.migrate(ctx, where, o.Create, o.Schema); err != nil {
		db.Close()
		return nil, db.redact(err)
	}
	return db, nil
}

// durableCommits makes sure a commit returns only once it is on disk: a
// server or role configured with synchronous_commit = off would let an
// acknowledged write vanish in a crash. (Stronger settings are kept.)
func durableCommits(ctx context.Context, conn *pgx.Conn) error {
	var mode string
	if err := conn.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&mode); err != nil {
		return err
	}
	if mode == "off" {
		_, err := conn.Exec(ctx, `SET synchronous_commit = on`)
		return err
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() error {
	var err error
	if db.closeSQL != nil {
		err = db.closeSQL() // goose's handle over the pool
	}
	if db.pool != nil {
		db.pool.Close()
	}
	return err
}

// Ready reports whether the store can serve: the database answers and its
// schema is current (no migration pending).
func (db *DB) Ready(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return db.err(fmt.Errorf("database unreachable: %w", err))
	}
	current, target, err := db.migrator.GetVersions(ctx)
	if err != nil {
		return db.err(fmt.Errorf("read the schema version: %w", err))
	}
	if current != target {
		// Behind: migrations pending. Ahead: a newer program migrated the
		// database, and this one must not serve it either.
		return fmt.Errorf("%w: the database is at version %d, this program's is %d", store.ErrSchemaNotCurrent, current, target)
	}
	return nil
}

// err gives PostgreSQL failures the store's meaning where there is one,
// and keeps the URL's password out of the message.
func (db *DB) err(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			err = fmt.Errorf("%w: %w", store.ErrExists, err)
		case "53100": // disk_full
			err = fmt.Errorf("%w: %w", store.ErrFull, err)
		case "22021", "22P05": // character_not_in_repertoire, untranslatable_character
			err = fmt.Errorf("%w: %w", ErrBadText, err)
		}
	}
	return db.redact(err)
}

// redact removes the URL's password from err's message (pgx takes care
// not to show it; this makes sure), keeping err for errors.Is and As.
func (db *DB) redact(err error) error {
	if err == nil || len(db.password) == 0 {
		return err
	}
	msg := err.Error()
	clean := msg
	for _, p := range db.password {
		clean = strings.ReplaceAll(clean, p, "xxxxx")
	}
	if clean == msg {
		return err
	}
	return &redacted{msg: clean, err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

// storable reports whether every s may be stored in a text column. A read
// of a text that is not storable finds nothing (no row can hold it).
func storable(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

// checkText refuses a write of text PostgreSQL cannot store, naming what.
func checkText(what string, ss ...string) error {
	if storable(ss...) {
		return nil
	}
	return fmt.Errorf("%s %w", what, ErrBadText)
}

// cleanText is s made storable for the audit trail, which records an
// event whatever the text it names: invalid bytes and NULs become U+FFFD.
func cleanText(s string) string {
	if storable(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// rowMissing reports pgx's "no rows" for QueryRow.
func rowMissing(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
