package localapi

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"teamsecrets/localapi/store"
)

// Authentication: who sent a request, and with what role it acts in which
// team. The key is looked up by its hash in the directory (the store's
// store.Directory side); nothing else of the store is needed here.

// caller is who sent a request, worked out on first use so queries that
// need no key (api) cost nothing, and every resolver in one request shares
// the answer.
type caller struct {
	dir          store.Directory
	keys         store.KeyAdmin   // records a key's use (coarsely: see touchKey)
	now          func() time.Time // nil: time.Now
	key          string
	tenantHeader string
	expired      *store.Key // the key, when it was refused for its expiry

	once sync.Once
	id   identity
	err  error
}

// identity is an authenticated caller acting in one team.
type identity struct {
	UserID          string // empty for service keys
	TenantID        string // the team this request acts in
	DefaultTenantID string // the key's default team
	Role            string // the key's effective role in TenantID
	KeyID           string // the key's id
	KeyRole         string // the key's own role (before the membership cap)
}

// canWrite reports whether the role may write and read values. Only the two
// known roles may: anything else is refused.
func (id identity) canWrite() bool { return id.Role == RoleTenantAdmin || id.Role == RoleUser }

type callerKey struct{}

func withCaller(ctx context.Context, c *caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// bearerKey returns the key of an "Authorization: Bearer <key>" header.
func bearerKey(header string) string {
	scheme, key, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(key)
}

// identify returns the caller's identity, or an UNAUTHENTICATED/FORBIDDEN
// error.
func identify(ctx context.Context) (identity, error) {
	c, _ := ctx.Value(callerKey{}).(*caller)
	if c == nil {
		return identity{}, errUnauthenticated
	}
	c.once.Do(func() { c.id, c.err = c.resolve(ctx) })
	return c.id, c.err
}

func (c *caller) resolve(ctx context.Context) (identity, error) {
	if c.key == "" {
		return identity{}, errUnauthenticated
	}
	k, err := c.dir.KeyByHash(ctx, hashKey(c.key))
	if errors.Is(err, store.ErrNotFound) {
		return identity{}, errUnauthenticated
	}
	if err != nil {
		return identity{}, internal(ctx, "look up api key", err)
	}
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	if !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) {
		c.expired = &k
		return identity{}, errKeyExpired(k.ExpiresAt)
	}
	c.touchKey(ctx, k, now)
	id := identity{UserID: k.UserID, TenantID: k.TenantID, DefaultTenantID: k.TenantID, Role: k.Role, KeyID: k.ID, KeyRole: k.Role}
	if c.tenantHeader != "" {
		want, err := uuid.Parse(c.tenantHeader)
		if err != nil {
			return identity{}, errNotMember
		}
		id.TenantID = want.String()
	}
	if k.UserID == "" {
		// A service key acts only in its own team.
		if id.TenantID != k.TenantID {
			return identity{}, errNotMember
		}
		return id, nil
	}
	// A user key acts with its own role, never more than the user's
	// membership in the team of this request.
	role, err := c.dir.MembershipRole(ctx, k.UserID, id.TenantID)
	if errors.Is(err, store.ErrNotFound) {
		return identity{}, errNotMember
	}
	if err != nil {
		return identity{}, internal(ctx, "look up membership", err)
	}
	id.Role = lesserRole(k.Role, role)
	return id, nil
}
