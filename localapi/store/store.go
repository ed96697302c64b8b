// Package store is what the local API needs of a storage backend, cut into
// the small interfaces its parts use:
//
//   - Secrets keeps sealed values by team and name. It never sees a
//     plaintext value: the vault above it (package localapi) seals before
//     writing and opens after reading, so no SQL code handles plaintext.
//   - Directory answers who an API key (by its hash) is and where it may act.
//   - Admin is the operator's side: teams, members, keys, integrity checks.
//   - KeyCheck holds the sealed known value that proves a master key is the
//     one the store's values were sealed with.
//   - Rekey moves every value to a new master key in one transaction.
//
// A Backend is all of them. Backends live in subpackages (sqlite, postgres);
// storetest is the suite every backend must pass. SQL, and anything else
// dialect-specific (migrations, error codes, locks), stays inside a backend's
// package.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
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

// RoleRank orders the roles: TENANT_ADMIN > USER > READ_ONLY_USER. Anything
// else ranks 0, below every role.
func RoleRank(r string) int {
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

// Errors a backend returns; callers test them with errors.Is.
var (
	// ErrNotFound: the row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: a team with this slug exists already.
	ErrExists = errors.New("already exists")
	// ErrNotMember: a user key was asked for a user who is not a member of
	// the team (creating a key never creates a membership).
	ErrNotMember = errors.New("not a member")
	// ErrAboveMembership: a user key was asked for a role above its user's
	// membership role.
	ErrAboveMembership = errors.New("a key cannot have more than its user's role")
	// ErrFull: the backend's storage is full (SQLite's SQLITE_FULL: the disk,
	// or the database's size cap). Nothing was written.
	ErrFull = errors.New("storage is full")
	// ErrSchemaNotCurrent: Ready found the store's schema at another
	// version than this program's migrations make it.
	ErrSchemaNotCurrent = errors.New("store schema is not current")
	// ErrKeyChanged: a write's values were sealed beside a key check that
	// is no longer the store's (the master key was rotated meanwhile), or
	// a reseal began from a check that is no longer the store's. Nothing
	// was written.
	ErrKeyChanged = errors.New("the store's master key changed")
)

// KeyEpoch is the store's key check as a writer read it (the sealed bytes
// KeyCheck returned): the values it writes are sealed under the key that
// opens that check. Each rotation stores a new check, so a KeyEpoch names
// one master key's time in the store.
//
// A write given an epoch that is no longer the store's check writes
// nothing and fails with ErrKeyChanged, checked in the write's own
// transaction: a value is never stored under a key the store was rotated
// away from. A nil epoch is not checked (backend tests, and tools that
// write no value a vault sealed).
type KeyEpoch []byte

// NotMember is the error for a user who is not a member of team t: one
// wording for every backend.
func NotMember(username string, t Tenant) error {
	return fmt.Errorf("user %q is %w of team %q", username, ErrNotMember, t.Slug)
}

// AboveMembership is the error for a key role above the user's membership
// role memberRole in team t.
func AboveMembership(username, memberRole string, t Tenant) error {
	return fmt.Errorf("%w: user %q is %s in team %q", ErrAboveMembership, username, memberRole, t.Slug)
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

// Key is a stored API key (known by its hash) and what it may do.
type Key struct {
	ID       string
	UserID   string // empty for a team-scoped service key
	TenantID string // the default team
	// Role is the key's own role. A service key acts with it in its team; a
	// user key acts with the lesser of it and the user's membership role in
	// the team of the request.
	Role string
	// ExpiresAt is when the key stops working; zero: never.
	ExpiresAt time.Time
	// LastUsed is the last use recorded (coarsely: see TouchKey); zero:
	// none.
	LastUsed time.Time
}

// NewKey is a key to store: its hash (never the key), team, role and, for
// a user key, the user's name.
type NewKey struct {
	Hash     string
	Tenant   Tenant
	Role     string
	Username string // empty: a service key of Tenant
	// Optional (the API's create_api_key sets them; see KeyAdmin):
	ID        string    // the key's id; empty: the backend makes one
	UserID    string    // the user by id, instead of Username
	Name      string    // what people call it
	ExpiresAt time.Time // zero: never
	CreatedBy string    // the id of the user who made it; empty: an operator
}

// Sealed is one stored value as the backend holds it.
type Sealed struct {
	TenantID, Name string
	Value          []byte // sealed: nonce and ciphertext
}

// SecretMeta is what is known of a secret besides its value.
type SecretMeta struct {
	Name             string
	Created, Updated time.Time // UTC; Created is the first write of this name
	UpdatedBy        string    // who wrote the current value; may be empty
}

// SecretQuery asks for one page of a team's secrets.
type SecretQuery struct {
	// Search keeps names containing it, ASCII case-insensitively.
	Search string
	// ByUpdated orders by the last write (ties by name), else by name as
	// SecretNames does.
	ByUpdated bool
	Desc      bool // reverse the order
	Limit     int  // at most this many (0: none)
	Offset    int  // after skipping this many
}

// Secrets keeps sealed values by team and name.
type Secrets interface {
	// SecretNames lists a team's names, ASCII case-insensitively ordered,
	// ties by bytes. The slice may be shared: callers must not modify it.
	SecretNames(ctx context.Context, tenantID string) ([]string, error)
	SecretExists(ctx context.Context, tenantID, name string) (bool, error)
	SecretCount(ctx context.Context, tenantID string) (int, error)
	// SealedSecret returns a value's sealed bytes, or ErrNotFound.
	SealedSecret(ctx context.Context, tenantID, name string) ([]byte, error)
	// EachSealed calls fn for every value of every team (checks only: it
	// reads everything).
	EachSealed(ctx context.Context, fn func(Sealed) error) error

	// SecretMetas is one page of a team's secrets without their values
	// (see SecretQuery).
	SecretMetas(ctx context.Context, tenantID string, q SecretQuery) ([]SecretMeta, error)
	// SecretMatches counts a team's names that contain search (as
	// SecretQuery.Search); an empty search counts them all.
	SecretMatches(ctx context.Context, tenantID, search string) (int, error)

	// PutSealed creates or replaces a value atomically; it is durable when
	// PutSealed returns. actor (who wrote it, may be empty) becomes its
	// UpdatedBy. The value was sealed under epoch (see KeyEpoch:
	// ErrKeyChanged when it is no longer the store's).
	PutSealed(ctx context.Context, epoch KeyEpoch, tenantID, name, actor string, sealed []byte) error
	// PutSealedMany creates or replaces many values of one team: all or
	// none (and none with ErrKeyChanged, as PutSealed).
	PutSealedMany(ctx context.Context, epoch KeyEpoch, tenantID, actor string, sealed map[string][]byte) error
	// DeleteSecret removes a value; it reports whether one was there.
	DeleteSecret(ctx context.Context, tenantID, name string) (bool, error)
}

// Directory answers who a key is and where it may act.
type Directory interface {
	// KeyByHash finds a key by the SHA-256 of its text, or ErrNotFound.
	KeyByHash(ctx context.Context, hash string) (Key, error)
	// MembershipRole is a user's role in a team, or ErrNotFound.
	MembershipRole(ctx context.Context, userID, tenantID string) (string, error)
	TenantByID(ctx context.Context, id string) (Tenant, error)
	// User returns a user and their memberships ordered by team slug;
	// DefaultMembershipID is the membership in defaultTenantID.
	User(ctx context.Context, userID, defaultTenantID string) (User, []Membership, error)
}

// Admin is the operator's side. Arguments are checked by the caller (slug
// and role rules); a backend enforces what needs a transaction.
type Admin interface {
	// Empty reports whether there is no team yet.
	Empty(ctx context.Context) (bool, error)
	// CreateTenant adds a team, or fails with ErrExists for a taken slug.
	CreateTenant(ctx context.Context, t Tenant) error
	// Tenants lists all teams by slug.
	Tenants(ctx context.Context) ([]Tenant, error)
	// TenantBySlug finds a team, or ErrNotFound.
	TenantBySlug(ctx context.Context, slug string) (Tenant, error)
	// AddMember gives a user (created if needed) a role in a team, or
	// changes the role of their membership. The one way memberships change.
	AddMember(ctx context.Context, t Tenant, role, username string) error
	// MemberRole is a user's membership role in a team (NotMember if none).
	MemberRole(ctx context.Context, t Tenant, username string) (string, error)
	// CreateKey stores a key. A user key's user must be a member of the team
	// (NotMember) with at least the key's role (AboveMembership), checked in
	// the same transaction as the insert. It never changes a membership.
	CreateKey(ctx context.Context, k NewKey) error
	// Check verifies the storage itself (not the values: the vault does).
	Check(ctx context.Context) error
}

// KeyCheck keeps one sealed known value, written when the store gets its
// master key: a wrong key fails to open it.
type KeyCheck interface {
	// KeyCheck returns the sealed check, or ErrNotFound before there is one.
	KeyCheck(ctx context.Context) ([]byte, error)
	// InitKeyCheck stores sealed unless a check is stored already (then it
	// changes nothing: the caller reads the check back and verifies it).
	InitKeyCheck(ctx context.Context, sealed []byte) error
}

// Rekey moves every value to a new master key. The backend never sees a
// key or a plaintext: the caller's function opens each sealed value and
// seals it again.
type Rekey interface {
	// ResealAll does, in one transaction, all or nothing:
	//
	//   - fails with ErrKeyChanged unless the store's key check is from;
	//   - calls reseal once with each stored value of every team and stores
	//     what it returns in the value's place (metadata such as the last
	//     update and its author stays as it is: the values did not change);
	//   - replaces the key check with check;
	//   - records one AuditMasterKeyRotated event (no key material).
	//
	// It reports how many values it resealed. If reseal fails, ctx ends or
	// the backend fails, nothing is changed and the error is returned as
	// it is (reseal's wrapped, so errors.Is sees it).
	//
	// Values are read in batches, not all at once, so memory does not grow
	// with the store. Writes that check their KeyEpoch (PutSealed) must
	// land wholly before or wholly after a reseal: a write that read the
	// old check never commits after it. SQLite has it from its one writer;
	// a backend with concurrent writers locks the check row (a writer
	// reads it FOR SHARE, ResealAll takes it FOR UPDATE before reading a
	// value).
	ResealAll(ctx context.Context, from KeyEpoch, check []byte, reseal func(Sealed) ([]byte, error)) (int, error)
}

// Backend is a whole store.
type Backend interface {
	Secrets
	Directory
	Admin
	KeyCheck
	Rekey
	KeyAdmin
	Audit
	// Ready reports whether the store answers and its schema is the one
	// this program migrates it to (else an error wrapping
	// ErrSchemaNotCurrent). It is cheap (one query or so), remembers
	// nothing, and gives up when ctx ends: the server's /readyz asks it on
	// every probe.
	Ready(ctx context.Context) error
	Close() error
}
