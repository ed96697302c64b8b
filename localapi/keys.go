package localapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"teamsecrets/localapi/store"
)

// API keys as Prefect Cloud 1.x serves them: create_api_key, auth_api_key,
// delete_api_key.
//
// Who sees and revokes which key (visibleKey): the caller's own keys (its
// user's keys, in every team; a service key sees itself) and, for a caller
// acting as TENANT_ADMIN in a team, every key whose default team is that
// team, service keys included.
//
// What a new key may do (createApiKey): a key for oneself gets the caller's
// role in the key's team (its default_tenant_id): the lesser of the calling
// key's own role and the membership there, so a key never makes a stronger
// one. A key for another member, or a team service key (user_id null),
// needs TENANT_ADMIN there; the member's key gets their membership role, the
// service key TENANT_ADMIN. Creating a key never changes a membership.

// LastUsedGranularity is how coarsely a key's use is recorded: at most one
// write per key per this long, made by the first request after it.
const LastUsedGranularity = time.Hour

func newKeyID() string { return uuid.NewString() }

// MaxKeyNameLength bounds a key's name, in characters.
const MaxKeyNameLength = 100

func errKeyExpired(at time.Time) error {
	return errorf(CodeUnauthenticated, "Unauthenticated: this API key expired at %s; ask for a new one", at.UTC().Format(time.RFC3339))
}

// touchKey records the key's use when the last record is older than
// LastUsedGranularity: one write per key per hour, not one per request. A
// failed record is logged and does not fail the request.
func (c *caller) touchKey(ctx context.Context, k store.Key, now time.Time) {
	if c.keys == nil || now.Sub(k.LastUsed) < LastUsedGranularity {
		return
	}
	if _, err := c.keys.TouchKey(ctx, k.ID, now, now.Add(-LastUsedGranularity)); err != nil && ctx.Err() == nil {
		slog.WarnContext(ctx, "api: could not record an API key's use", "key_id", k.ID, "err", err)
	}
}

func (r *resolver) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// Timestamptz is the timestamptz scalar.
type Timestamptz struct{ time.Time }

// ImplementsGraphQLType binds Timestamptz to the schema's timestamptz.
func (Timestamptz) ImplementsGraphQLType(name string) bool { return name == "timestamptz" }

// timeLayouts are the ISO 8601 forms accepted; without an offset, UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"}

// UnmarshalGraphQL reads an ISO 8601 time.
func (t *Timestamptz) UnmarshalGraphQL(input interface{}) error {
	s, ok := input.(string)
	if !ok {
		return fmt.Errorf("timestamptz must be an ISO 8601 string")
	}
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	// Python's isoformat() with a +HH:MM offset and no seconds fraction is
	// RFC 3339; a space instead of T is ISO 8601 too.
	if v, err := time.Parse(time.RFC3339Nano, strings.Replace(s, " ", "T", 1)); err == nil {
		t.Time = v.UTC()
		return nil
	}
	return fmt.Errorf("timestamptz: not an ISO 8601 time (e.g. 2027-01-31T12:00:00Z)")
}

// MarshalJSON writes the time in UTC, RFC 3339.
func (t Timestamptz) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(time.RFC3339Nano) + `"`), nil
}

func optTime(t time.Time) *Timestamptz {
	if t.IsZero() {
		return nil
	}
	return &Timestamptz{t}
}

// visibleKey reports whether the caller may see and revoke key k.
func visibleKey(id identity, k store.KeyInfo) bool {
	return k.ID == id.KeyID ||
		id.UserID != "" && k.UserID == id.UserID ||
		id.Role == RoleTenantAdmin && k.TenantID == id.TenantID
}

type apiKeyResolver struct{ k store.KeyInfo }

func (a apiKeyResolver) ID() UUID                { return UUID(a.k.ID) }
func (a apiKeyResolver) Name() string            { return a.k.Name }
func (a apiKeyResolver) Created() Timestamptz    { return Timestamptz{a.k.Created} }
func (a apiKeyResolver) Updated() Timestamptz    { return Timestamptz{a.k.Created} }
func (a apiKeyResolver) ExpiresAt() *Timestamptz { return optTime(a.k.ExpiresAt) }
func (a apiKeyResolver) UserID() *UUID           { return optUUID(a.k.UserID) }
func (a apiKeyResolver) DefaultTenantID() *UUID  { return optUUID(a.k.TenantID) }
func (a apiKeyResolver) LastUsed() *Timestamptz  { return optTime(a.k.LastUsed) }
func (a apiKeyResolver) Role() *string           { return &a.k.Role }
func (a apiKeyResolver) CreatedBy() *apiKeyUser {
	if a.k.CreatedByID == "" {
		return nil
	}
	return &apiKeyUser{id: a.k.CreatedByID, username: a.k.CreatedByName}
}

type apiKeyUser struct{ id, username string }

func (u *apiKeyUser) ID() UUID         { return UUID(u.id) }
func (u *apiKeyUser) Username() string { return u.username }

type authAPIKeyArgs struct {
	Where *struct {
		ID     *struct{ Eq *UUID }
		UserID *struct{ Eq *UUID }
	}
	OrderBy *[]struct {
		Created   *string
		Name      *string
		ExpiresAt *string
	}
	Limit  *int32
	Offset *int32
}

// AuthApiKey lists the keys the caller may see.
func (r *resolver) AuthApiKey(ctx context.Context, args authAPIKeyArgs) ([]apiKeyResolver, error) {
	id, err := identify(ctx)
	if err != nil {
		return nil, err
	}
	team := ""
	if id.Role == RoleTenantAdmin {
		team = id.TenantID
	}
	keys, err := r.keys.Keys(ctx, team, id.UserID)
	if err != nil {
		return nil, internal(ctx, "list api keys", err)
	}
	if id.UserID == "" && team == "" {
		// A service key that is no admin sees itself only.
		self, err := r.keys.KeyByID(ctx, id.KeyID)
		if err != nil {
			return nil, internal(ctx, "load api key", err)
		}
		keys = []store.KeyInfo{self}
	}
	out := make([]apiKeyResolver, 0, len(keys))
	for _, k := range keys {
		if !visibleKey(id, k) {
			continue
		}
		if w := args.Where; w != nil {
			if w.ID != nil && w.ID.Eq != nil && string(*w.ID.Eq) != k.ID {
				continue
			}
			if w.UserID != nil && w.UserID.Eq != nil && string(*w.UserID.Eq) != k.UserID {
				continue
			}
		}
		out = append(out, apiKeyResolver{k})
	}
	if args.OrderBy != nil {
		// The last order_by entry that names a field wins; stable, so ties
		// keep newest first.
		for _, o := range *args.OrderBy {
			var cmp func(a, b apiKeyResolver) int
			var dir *string
			switch {
			case o.Created != nil:
				dir, cmp = o.Created, func(a, b apiKeyResolver) int { return a.k.Created.Compare(b.k.Created) }
			case o.Name != nil:
				dir, cmp = o.Name, func(a, b apiKeyResolver) int { return strings.Compare(a.k.Name, b.k.Name) }
			case o.ExpiresAt != nil:
				dir, cmp = o.ExpiresAt, func(a, b apiKeyResolver) int { return a.k.ExpiresAt.Compare(b.k.ExpiresAt) }
			default:
				continue
			}
			if *dir == "desc" {
				asc := cmp
				cmp = func(a, b apiKeyResolver) int { return asc(b, a) }
			}
			slices.SortStableFunc(out, cmp)
		}
	}
	out = page(out, args.Offset, args.Limit)
	size := 2
	for _, k := range out {
		size += 500 + len(k.k.Name) + len(k.k.CreatedByName)
	}
	if err := charge(ctx, size); err != nil {
		return nil, err
	}
	return out, nil
}

type createAPIKeyArgs struct {
	Input struct {
		Name            string
		UserID          *UUID
		ExpiresAt       *Timestamptz
		DefaultTenantID *UUID
	}
}

type createAPIKeyPayload struct{ id, key string }

func (p *createAPIKeyPayload) ID() *UUID    { return optUUID(p.id) }
func (p *createAPIKeyPayload) Key() *string { return &p.key }

// validKeyName checks a key's name: 1 to MaxKeyNameLength printable
// characters.
func validKeyName(name string) error {
	n := utf8.RuneCountInString(name)
	if strings.TrimSpace(name) == "" || n > MaxKeyNameLength || !utf8.ValidString(name) {
		return fmt.Errorf("a key's name must be 1 to %d characters", MaxKeyNameLength)
	}
	for _, c := range name {
		if !unicode.IsPrint(c) {
			return fmt.Errorf("a key's name may not hold control or invisible characters")
		}
	}
	return nil
}

// roleIn is the caller's role in team tenantID: its role in the request's
// team, or for a user key the lesser of the key's role and the user's
// membership there. Empty: no role there.
func (r *resolver) roleIn(ctx context.Context, id identity, tenantID string) (string, error) {
	if tenantID == id.TenantID {
		return id.Role, nil
	}
	if id.UserID == "" {
		return "", nil
	}
	m, err := r.dir.MembershipRole(ctx, id.UserID, tenantID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return lesserRole(id.KeyRole, m), nil
}

// CreateApiKey makes a key (see the rules at the top of this file).
func (r *resolver) CreateApiKey(ctx context.Context, args createAPIKeyArgs) (*createAPIKeyPayload, error) {
	ctx, done, err := startWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	id, err := identify(ctx)
	if err != nil {
		return nil, err
	}
	in := args.Input
	name := strings.TrimSpace(in.Name)
	if err := validKeyName(name); err != nil {
		return nil, errorf(CodeBadUserInput, "Invalid name: %v", err)
	}
	var expires time.Time
	if in.ExpiresAt != nil {
		expires = in.ExpiresAt.Time
		if !expires.After(r.clock()) {
			return nil, errorf(CodeBadUserInput, "Invalid expires_at: %s is not in the future", expires.Format(time.RFC3339))
		}
	}
	tenantID := id.TenantID
	if in.DefaultTenantID != nil {
		tenantID = string(*in.DefaultTenantID)
	}
	callerRole, err := r.roleIn(ctx, id, tenantID)
	if err != nil {
		return nil, internal(ctx, "look up membership", err)
	}
	if callerRole == "" {
		return nil, errNotMember
	}
	t, err := r.dir.TenantByID(ctx, tenantID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotMember
	}
	if err != nil {
		return nil, internal(ctx, "load team", err)
	}
	nk := store.NewKey{ID: newKeyID(), Tenant: t, Name: name, ExpiresAt: expires, CreatedBy: id.UserID}
	switch {
	case in.UserID != nil && string(*in.UserID) == id.UserID:
		nk.UserID, nk.Role = id.UserID, callerRole
	case callerRole != RoleTenantAdmin:
		return nil, errorf(CodeForbidden, "Forbidden: only a TENANT_ADMIN of the team may create keys for others or team keys")
	case in.UserID == nil:
		nk.Role = RoleTenantAdmin
	default:
		m, err := r.dir.MembershipRole(ctx, string(*in.UserID), tenantID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errorf(CodeBadUserInput, "Invalid user_id: that user is not a member of the team; creating a key never adds a membership")
		}
		if err != nil {
			return nil, internal(ctx, "look up membership", err)
		}
		nk.UserID, nk.Role = string(*in.UserID), m
	}
	key := newAPIKey()
	nk.Hash = hashKey(key)
	actor, err := r.actor(ctx, id)
	if err != nil {
		return nil, internal(ctx, "look up user", err)
	}
	err = r.keys.CreateKey(auditing(ctx, id, actor), nk)
	switch {
	case errors.Is(err, store.ErrNotMember), errors.Is(err, store.ErrAboveMembership):
		// The membership changed since it was read: say so, plainly.
		return nil, errorf(CodeBadUserInput, "The user's membership changed while the key was made; try again")
	case err != nil:
		return nil, internal(ctx, "create api key", err)
	}
	return &createAPIKeyPayload{id: nk.ID, key: key}, nil
}

// DeleteApiKey revokes a key the caller may see. Unknown and invisible keys
// answer alike (success false), so ids cannot be probed.
func (r *resolver) DeleteApiKey(ctx context.Context, args struct{ Input struct{ KeyID UUID } }) (*successPayload, error) {
	ctx, done, err := startWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	id, err := identify(ctx)
	if err != nil {
		return nil, err
	}
	k, err := r.keys.KeyByID(ctx, string(args.Input.KeyID))
	if errors.Is(err, store.ErrNotFound) || err == nil && !visibleKey(id, k) {
		return &successPayload{ok: false, msg: "No API key with this id that you may revoke"}, nil
	}
	if err != nil {
		return nil, internal(ctx, "load api key", err)
	}
	actor, err := r.actor(ctx, id)
	if err != nil {
		return nil, internal(ctx, "look up user", err)
	}
	found, err := r.keys.DeleteKey(auditing(ctx, id, actor), k.ID)
	if err != nil {
		return nil, internal(ctx, "revoke api key", err)
	}
	if !found {
		return &successPayload{ok: false, msg: "No API key with this id that you may revoke"}, nil
	}
	return &successPayload{ok: true}, nil
}
