package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/sqlite"
)

// Roles, as Prefect Cloud names them.
const (
	RoleTenantAdmin  = store.RoleTenantAdmin
	RoleUser         = store.RoleUser
	RoleReadOnlyUser = store.RoleReadOnlyUser
)

// ValidRole reports whether r is one of the three roles.
func ValidRole(r string) bool { return store.ValidRole(r) }

// lesserRole is the lower of two roles; a key acts with the lesser of its
// own role and its user's membership role.
func lesserRole(a, b string) string {
	if store.RoleRank(b) < store.RoleRank(a) {
		return b
	}
	return a
}

// Errors of the store; test them with errors.Is.
var (
	ErrNotFound        = store.ErrNotFound
	ErrExists          = store.ErrExists
	ErrNotMember       = store.ErrNotMember
	ErrAboveMembership = store.ErrAboveMembership
	ErrFull            = store.ErrFull
)

// Tenant is a team; Membership ties a user to one with a role; User owns
// keys and memberships.
type (
	Tenant     = store.Tenant
	Membership = store.Membership
	User       = store.User
)

// DBFile is the SQLite database's file name inside the data directory.
const DBFile = sqlite.DBFile

// LockDataDir takes the data directory's lock, as a server's store does
// while it is open (Open with AsServer): one server per directory.
func LockDataDir(dir string) (unlock func(), err error) { return sqlite.LockDataDir(dir) }

// Store is the local API's store: a backend (package store) with the vault
// above it, which seals every value before the backend sees it. The
// resolvers use its parts (the vault, the backend as a store.Directory);
// admin commands, bootstrap and tests use its methods.
type Store struct {
	backend store.Backend
	vault   *vault
	shared  store.Shared // the opened backend's, if it has it (kept by Wrapped)
}

// Shared is what instances on this store's database share (sessions
// signed out, failed authentications), or nil when the store is served by
// this process alone (SQLite).
func (s *Store) Shared() store.Shared { return s.shared }

// Close closes the store (and releases the data directory).
func (s *Store) Close() error { return s.backend.Close() }

// Empty reports whether the store has no teams yet.
func (s *Store) Empty(ctx context.Context) (bool, error) { return s.backend.Empty(ctx) }

// CreateTenant adds a team; a taken slug fails with ErrExists ("team "x"
// already exists").
func (s *Store) CreateTenant(ctx context.Context, slug, name string) (Tenant, error) {
	slug = strings.TrimSpace(slug)
	if !validSlug(slug) {
		return Tenant{}, fmt.Errorf("team slug must be 1-64 characters of lowercase letters, digits and '-'")
	}
	if name == "" {
		name = slug
	}
	t := Tenant{ID: uuid.NewString(), Slug: slug, Name: name}
	if err := s.backend.CreateTenant(ctx, t); err != nil {
		if errors.Is(err, store.ErrExists) {
			return Tenant{}, err
		}
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
func (s *Store) Tenants(ctx context.Context) ([]Tenant, error) { return s.backend.Tenants(ctx) }

// TenantBySlug finds a team.
func (s *Store) TenantBySlug(ctx context.Context, slug string) (Tenant, error) {
	return s.backend.TenantBySlug(ctx, slug)
}

func errBadRole() error {
	return fmt.Errorf("role must be %s, %s or %s", RoleTenantAdmin, RoleUser, RoleReadOnlyUser)
}

// CreateKey makes a new API key for a team and role and returns it; only its
// hash is stored. Without username it is a service key acting in that one
// team with that role. With username it belongs to that user, who must
// already be a member of the team (ErrNotMember otherwise) with at least that
// role (ErrAboveMembership otherwise). It never creates a user or changes a
// membership: AddMember does that.
func (s *Store) CreateKey(ctx context.Context, tenantSlug, role, username string) (string, error) {
	if !ValidRole(role) {
		return "", errBadRole()
	}
	t, err := s.backend.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		return "", err
	}
	key := newAPIKey()
	if err := s.backend.CreateKey(ctx, store.NewKey{Hash: hashKey(key), Tenant: t, Role: role, Username: username}); err != nil {
		return "", err
	}
	return key, nil
}

// MemberRole is a user's membership role in a team, or ErrNotMember.
func (s *Store) MemberRole(ctx context.Context, tenantSlug, username string) (string, error) {
	t, err := s.backend.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		return "", err
	}
	return s.backend.MemberRole(ctx, t, username)
}

// AddMember gives a user (created if needed) a role in a team, or changes
// the role of an existing membership. It is the one way memberships change;
// the user's keys then act with at most the new role.
func (s *Store) AddMember(ctx context.Context, tenantSlug, role, username string) error {
	if !ValidRole(role) {
		return errBadRole()
	}
	t, err := s.backend.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		return err
	}
	return s.backend.AddMember(ctx, t, role, username)
}

// SecretNames lists a team's secret names, ASCII case-insensitively
// ordered, ties by bytes. The slice is shared: callers must not modify it.
func (s *Store) SecretNames(ctx context.Context, tenantID string) ([]string, error) {
	return s.vault.names(ctx, tenantID)
}

// SecretValue decrypts one value (as JSON), or ErrNotFound.
func (s *Store) SecretValue(ctx context.Context, tenantID, name string) (json.RawMessage, error) {
	return s.vault.value(ctx, tenantID, name)
}

// PutSecret creates or replaces a secret atomically. value is its JSON
// encoding. The commit is durable before PutSecret returns. No one is
// recorded as its writer (the API records the key's user).
func (s *Store) PutSecret(ctx context.Context, tenantID, name string, value json.RawMessage) error {
	return s.vault.put(ctx, tenantID, name, "", value)
}

// PutSecrets creates or replaces many secrets of one team in a single
// transaction: all or none. values are JSON encodings.
func (s *Store) PutSecrets(ctx context.Context, tenantID string, values map[string]json.RawMessage) error {
	return s.vault.putMany(ctx, tenantID, "", values)
}

// DeleteSecret removes a secret; it reports whether one was there.
func (s *Store) DeleteSecret(ctx context.Context, tenantID, name string) (bool, error) {
	return s.vault.delete(ctx, tenantID, name)
}

// CheckReport is what Check found: counts, and the team and name (never
// the value) of each value that does not open.
type CheckReport struct {
	Teams, Values int
	Unreadable    int
	Named         []string // "team/NAME" of the first unreadable values
}

// maxNamedUnreadable bounds the names a failed check lists.
const maxNamedUnreadable = 20

// Check verifies the storage (SQLite's integrity check) and opens every
// value with the master key. It fails when either finds a fault.
func (s *Store) Check(ctx context.Context) (CheckReport, error) {
	var r CheckReport
	if err := s.backend.Check(ctx); err != nil {
		return r, err
	}
	teams, err := s.backend.Tenants(ctx)
	if err != nil {
		return r, err
	}
	r.Teams = len(teams)
	total, bad, named, err := s.vault.openAll(ctx, s.vault.keys.current().seal, maxNamedUnreadable)
	if err != nil {
		return r, err
	}
	r.Values, r.Unreadable = total, bad
	slugs := map[string]string{}
	for _, t := range teams {
		slugs[t.ID] = t.Slug
	}
	for _, n := range named {
		r.Named = append(r.Named, slugs[n.TenantID]+"/"+n.Name)
	}
	if bad > 0 {
		more := ""
		if bad > len(r.Named) {
			more = fmt.Sprintf(" and %d more", bad-len(r.Named))
		}
		return r, fmt.Errorf("%d of %d values do not open with the master key (damaged, or sealed under another key): %s%s",
			bad, total, strings.Join(r.Named, ", "), more)
	}
	return r, nil
}
