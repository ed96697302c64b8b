package localapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Roles, as Prefect Cloud names them.
const (
	RoleTenantAdmin  = "TENANT_ADMIN"
	RoleUser         = "USER"
	RoleReadOnlyUser = "READ_ONLY_USER"
)

// ValidRole reports whether r is one of the three roles.
func ValidRole(r string) bool {
	return r == RoleTenantAdmin || r == RoleUser || r == RoleReadOnlyUser
}

// roleRank orders the roles: TENANT_ADMIN > USER > READ_ONLY_USER. Anything
// else ranks 0, below every role.
func roleRank(r string) int {
	switch r {
	case RoleTenantAdmin:
		return 3
	case RoleUser:
		return 2
	case RoleReadOnlyUser:
		return 1
	}
	return 0
}

// lesserRole is the lower of two roles; a key acts with the lesser of its
// own role and its user's membership role.
func lesserRole(a, b string) string {
	if roleRank(b) < roleRank(a) {
		return b
	}
	return a
}

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

// ErrNotMember is returned when a user key is asked for a user who is not a
// member of the team: creating a key never creates a membership.
var ErrNotMember = errors.New("not a member")

// ErrAboveMembership is returned when a user key is asked for a role above
// its user's membership role.
var ErrAboveMembership = errors.New("a key cannot have more than its user's role")

// Store is the local API's SQLite store. Reads go through a pool; writes go
// through a single connection so they never contend for SQLite's write lock.
type Store struct {
	read  *sql.DB
	write *sql.DB
	seal  *sealer
	names *nameCache
}

// Tenant is a team.
type Tenant struct {
	ID, Slug, Name string
}

// Membership ties a user to a team with a role.
type Membership struct {
	ID     string
	Tenant Tenant
	Role   string
}

// User owns API keys and has memberships.
type User struct {
	ID, Username, Email string
	DefaultMembershipID string
}

// Key is a stored API key (its hash) and what it may do.
type Key struct {
	ID       string
	UserID   string // empty for a team-scoped service key
	TenantID string // the default team
	// Role is the key's own role. A service key acts with it in its team; a
	// user key acts with the lesser of it and the user's membership role in
	// the team of the request.
	Role string
}

// DBFile is the store's file name inside the data directory.
const DBFile = "teamsecrets.db"

// migrations run in order; PRAGMA user_version records how many have run.
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
}

// OpenStore opens (creating if needed) the store in dataDir and runs
// migrations. masterKey encrypts values at rest.
func OpenStore(dataDir string, masterKey []byte) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	s, err := newSealer(masterKey)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dataDir, DBFile)
	// Create the file 0600 before SQLite does: its -wal and -shm files take
	// the database file's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	f.Close()
	// synchronous=FULL: a commit returns only after the WAL is on disk, so an
	// acknowledged write survives a crash or power loss.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_txlock=immediate"
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxLifetime(0)
	st := &Store{write: write, seal: s, names: newNameCache()}
	if err := st.migrate(); err != nil {
		write.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	// Readers map the file and keep a larger page cache: listing 100,000
	// names then costs no read syscalls.
	read, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(true)"+
		"&_pragma=mmap_size(268435456)&_pragma=cache_size(-32000)")
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	st.read = read
	return st, nil
}

// Close closes the store.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

func (s *Store) migrate() error {
	var version int
	if err := s.write.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	for i := version; i < len(migrations); i++ {
		tx, err := s.write.Begin()
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

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// Empty reports whether the store has no teams yet.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM tenant`).Scan(&n)
	return n == 0, err
}

// CreateTenant adds a team.
func (s *Store) CreateTenant(ctx context.Context, slug, name string) (Tenant, error) {
	slug = strings.TrimSpace(slug)
	if !validSlug(slug) {
		return Tenant{}, fmt.Errorf("team slug must be 1-64 characters of lowercase letters, digits and '-'")
	}
	if name == "" {
		name = slug
	}
	t := Tenant{ID: uuid.NewString(), Slug: slug, Name: name}
	_, err := s.write.ExecContext(ctx, `INSERT INTO tenant (id, slug, name, created_at) VALUES (?, ?, ?, ?)`,
		t.ID, t.Slug, t.Name, now())
	if err != nil {
		return Tenant{}, fmt.Errorf("create team %q: %w", slug, err)
	}
	return t, nil
}

func validSlug(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Tenants lists all teams by slug.
func (s *Store) Tenants(ctx context.Context) ([]Tenant, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, slug, name FROM tenant ORDER BY slug`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		var t Tenant
		if err := rows.Scan(&t.ID, &t.Slug, &t.Name); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TenantBySlug finds a team.
func (s *Store) TenantBySlug(ctx context.Context, slug string) (Tenant, error) {
	var t Tenant
	err := s.read.QueryRowContext(ctx, `SELECT id, slug, name FROM tenant WHERE slug = ?`, slug).Scan(&t.ID, &t.Slug, &t.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("team %q: %w", slug, ErrNotFound)
	}
	return t, err
}

// tenantByID finds a team.
func (s *Store) tenantByID(ctx context.Context, id string) (Tenant, error) {
	var t Tenant
	err := s.read.QueryRowContext(ctx, `SELECT id, slug, name FROM tenant WHERE id = ?`, id).Scan(&t.ID, &t.Slug, &t.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	return t, err
}

// CreateKey makes a new API key for a team and role and returns it; only its
// hash is stored. Without username it is a service key acting in that one
// team with that role. With username it belongs to that user, who must
// already be a member of the team (ErrNotMember otherwise) with at least that
// role (ErrAboveMembership otherwise). It never creates a user or changes a
// membership: AddMember does that.
func (s *Store) CreateKey(ctx context.Context, tenantSlug, role, username string) (string, error) {
	if !ValidRole(role) {
		return "", fmt.Errorf("role must be %s, %s or %s", RoleTenantAdmin, RoleUser, RoleReadOnlyUser)
	}
	t, err := s.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		return "", err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	var userID sql.NullString
	if username != "" {
		// Checked in the write transaction, so a concurrent AddMember cannot
		// lower the membership between the check and the insert.
		uid, memberRole, err := memberOf(ctx, tx, t, username)
		if err != nil {
			return "", err
		}
		if roleRank(role) > roleRank(memberRole) {
			return "", fmt.Errorf("%w: user %q is %s in team %q", ErrAboveMembership, username, memberRole, t.Slug)
		}
		userID = sql.NullString{String: uid, Valid: true}
	}
	key := newAPIKey()
	if _, err := tx.ExecContext(ctx, `INSERT INTO api_key (id, hash, user_id, tenant_id, role, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		uuid.NewString(), hashKey(key), userID, t.ID, role, now()); err != nil {
		return "", err
	}
	return key, tx.Commit()
}

// MemberRole is a user's membership role in a team, or ErrNotMember.
func (s *Store) MemberRole(ctx context.Context, tenantSlug, username string) (string, error) {
	t, err := s.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		return "", err
	}
	_, role, err := memberOf(ctx, s.read, t, username)
	return role, err
}

// memberOf returns a user's id and membership role in team t, or
// ErrNotMember (also for a user that does not exist).
func memberOf(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, t Tenant, username string) (userID, role string, err error) {
	err = q.QueryRowContext(ctx, `SELECT u.id, m.role FROM user u JOIN membership m ON m.user_id = u.id
		WHERE u.username = ? AND m.tenant_id = ?`, username, t.ID).Scan(&userID, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("user %q is %w of team %q", username, ErrNotMember, t.Slug)
	}
	return userID, role, err
}

// AddMember gives a user (created if needed) a role in a team, or changes
// the role of an existing membership. It is the one way memberships change;
// the user's keys then act with at most the new role.
func (s *Store) AddMember(ctx context.Context, tenantSlug, role, username string) error {
	if !ValidRole(role) {
		return fmt.Errorf("role must be %s, %s or %s", RoleTenantAdmin, RoleUser, RoleReadOnlyUser)
	}
	t, err := s.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		return err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	uid, err := ensureUser(ctx, tx, username)
	if err != nil {
		return err
	}
	if err := upsertMembership(ctx, tx, uid, t.ID, role); err != nil {
		return err
	}
	return tx.Commit()
}

func ensureUser(ctx context.Context, tx *sql.Tx, username string) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM user WHERE username = ?`, username).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	id = uuid.NewString()
	_, err = tx.ExecContext(ctx, `INSERT INTO user (id, username, created_at) VALUES (?, ?, ?)`, id, username, now())
	return id, err
}

func upsertMembership(ctx context.Context, tx *sql.Tx, userID, tenantID, role string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO membership (id, user_id, tenant_id, role) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, tenant_id) DO UPDATE SET role = excluded.role`,
		uuid.NewString(), userID, tenantID, role)
	return err
}

// ImportKey stores a key chosen by the operator (TEAMSECRETS_BOOTSTRAP_KEY).
func (s *Store) importKey(ctx context.Context, key, tenantID, role, userID string) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO api_key (id, hash, user_id, tenant_id, role, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		uuid.NewString(), hashKey(key), userID, tenantID, role, now())
	return err
}

// keyByHash looks a key up by its hash.
func (s *Store) keyByHash(ctx context.Context, hash string) (Key, error) {
	var k Key
	var uid sql.NullString
	err := s.read.QueryRowContext(ctx, `SELECT id, user_id, tenant_id, role FROM api_key WHERE hash = ?`, hash).
		Scan(&k.ID, &uid, &k.TenantID, &k.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return k, ErrNotFound
	}
	k.UserID = uid.String
	return k, err
}

// membershipRole is the user's role in a team, or ErrNotFound.
func (s *Store) membershipRole(ctx context.Context, userID, tenantID string) (string, error) {
	var role string
	err := s.read.QueryRowContext(ctx, `SELECT role FROM membership WHERE user_id = ? AND tenant_id = ?`, userID, tenantID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return role, err
}

// user returns a user and their memberships, ordered by team slug.
func (s *Store) user(ctx context.Context, userID, defaultTenantID string) (User, []Membership, error) {
	var u User
	err := s.read.QueryRowContext(ctx, `SELECT id, username, email FROM user WHERE id = ?`, userID).Scan(&u.ID, &u.Username, &u.Email)
	if err != nil {
		return u, nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT m.id, m.role, t.id, t.slug, t.name FROM membership m
		JOIN tenant t ON t.id = m.tenant_id WHERE m.user_id = ? ORDER BY t.slug`, userID)
	if err != nil {
		return u, nil, err
	}
	defer rows.Close()
	var ms []Membership
	for rows.Next() {
		var m Membership
		if err := rows.Scan(&m.ID, &m.Role, &m.Tenant.ID, &m.Tenant.Slug, &m.Tenant.Name); err != nil {
			return u, nil, err
		}
		if m.Tenant.ID == defaultTenantID {
			u.DefaultMembershipID = m.ID
		}
		ms = append(ms, m)
	}
	return u, ms, rows.Err()
}

// SecretNames lists a team's secret names, ASCII case-insensitively
// ordered, ties by bytes. The slice is shared: callers must not modify it.
func (s *Store) SecretNames(ctx context.Context, tenantID string) ([]string, error) {
	return s.cachedNames(ctx, tenantID)
}

func (s *Store) secretNamesFromDB(ctx context.Context, tenantID string) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT name FROM secret WHERE tenant_id = ? ORDER BY name COLLATE NOCASE, name`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := make([]string, 0, 64)
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// SecretExists reports whether the team has a secret with this name.
func (s *Store) SecretExists(ctx context.Context, tenantID, name string) (bool, error) {
	var one int
	err := s.read.QueryRowContext(ctx, `SELECT 1 FROM secret WHERE tenant_id = ? AND name = ?`, tenantID, name).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// SecretValue decrypts one value (as JSON), or ErrNotFound.
func (s *Store) SecretValue(ctx context.Context, tenantID, name string) (json.RawMessage, error) {
	var sealed []byte
	err := s.read.QueryRowContext(ctx, `SELECT sealed FROM secret WHERE tenant_id = ? AND name = ?`, tenantID, name).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	plain, err := s.seal.open(tenantID, name, sealed)
	if err != nil {
		return nil, fmt.Errorf("decrypt secret: %w", err)
	}
	return json.RawMessage(plain), nil
}

// PutSecret creates or replaces a secret atomically. value is its JSON
// encoding. The commit is durable before PutSecret returns.
func (s *Store) PutSecret(ctx context.Context, tenantID, name string, value json.RawMessage) error {
	sealed, err := s.seal.seal(tenantID, name, value)
	if err != nil {
		return err
	}
	s.names.invalidate(tenantID)
	defer s.names.invalidate(tenantID)
	_, err = s.write.ExecContext(ctx, `INSERT INTO secret (tenant_id, name, sealed, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
		tenantID, name, sealed, now())
	if err != nil {
		return fmt.Errorf("put secret: %w", err)
	}
	return nil
}

// DeleteSecret removes a secret; it reports whether one was there.
func (s *Store) DeleteSecret(ctx context.Context, tenantID, name string) (bool, error) {
	s.names.invalidate(tenantID)
	defer s.names.invalidate(tenantID)
	res, err := s.write.ExecContext(ctx, `DELETE FROM secret WHERE tenant_id = ? AND name = ?`, tenantID, name)
	if err != nil {
		return false, fmt.Errorf("delete secret: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Check runs SQLite's integrity check.
func (s *Store) Check(ctx context.Context) error {
	var res string
	if err := s.write.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}

// PutSecrets creates or replaces many secrets of one team in a single
// transaction: all or none. values are JSON encodings.
func (s *Store) PutSecrets(ctx context.Context, tenantID string, values map[string]json.RawMessage) error {
	s.names.invalidate(tenantID)
	defer s.names.invalidate(tenantID)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO secret (tenant_id, name, sealed, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	at := now()
	for name, v := range values {
		sealed, err := s.seal.seal(tenantID, name, v)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, tenantID, name, sealed, at); err != nil {
			return fmt.Errorf("put secrets: %w", err)
		}
	}
	return tx.Commit()
}

// SecretCount is how many secrets a team holds.
func (s *Store) SecretCount(ctx context.Context, tenantID string) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM secret WHERE tenant_id = ?`, tenantID).Scan(&n)
	return n, err
}
