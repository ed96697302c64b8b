package localapi

import (
	"context"
	"errors"
	"time"

	"teamsecrets/localapi/store"
	"teamsecrets/rules"
)

// MaxValueBytes is the largest secret value accepted (see rules).
const MaxValueBytes = rules.MaxValueBytes

// resolver is the root of the GraphQL schema (query_root and mutation_root).
// It sees values through the vault (sealed below it) and who is who through
// the directory.
type resolver struct {
	values  *vault
	dir     store.Directory
	keys    store.Backend    // API keys (keys.go)
	now     func() time.Time // nil: time.Now
	version string
	limits  Limits
	names   usernames // who wrote, for the list and the trail
}

func (r *resolver) SecretNames(ctx context.Context) ([]string, error) {
	id, err := identify(ctx)
	if err != nil {
		return nil, err
	}
	names, err := r.values.names(ctx, id.TenantID)
	if err != nil {
		return nil, internal(ctx, "list secret names", err)
	}
	if err := charge(ctx, namesBytes(names)); err != nil {
		return nil, err
	}
	return names, nil
}

// namesBytes is about what a list of names costs in a JSON response.
func namesBytes(names []string) int {
	n := 2
	for _, s := range names {
		n += len(s) + 3
	}
	return n
}

func (r *resolver) SecretValue(ctx context.Context, args struct{ Name string }) (*JSON, error) {
	id, err := identify(ctx)
	if err != nil {
		return nil, err
	}
	if !id.canWrite() {
		// Read-only keys and members see names only.
		return nil, errorf(CodeForbidden, "Forbidden: this API key is read-only in this team and cannot read secret values")
	}
	v, err := r.values.value(ctx, id.TenantID, args.Name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(CodeAPIError, "%s", NoValueMessage)
	}
	if err != nil {
		return nil, internal(ctx, "read secret", err)
	}
	if err := charge(ctx, len(v)); err != nil {
		return nil, err
	}
	return &JSON{Raw: v}, nil
}

type successPayload struct {
	ok  bool
	msg string
}

func (p *successPayload) Success() *bool { return &p.ok }
func (p *successPayload) Error() *string {
	if p.msg == "" {
		return nil
	}
	return &p.msg
}

type setSecretArgs struct {
	Input struct {
		Name  string
		Value JSON
	}
}

func (r *resolver) SetSecret(ctx context.Context, args setSecretArgs) (*successPayload, error) {
	ctx, done, err := startWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	id, err := identify(ctx)
	if err != nil {
		return nil, err
	}
	if !id.canWrite() {
		return nil, errReadOnly
	}
	name, value := args.Input.Name, args.Input.Value.Raw
	if len(value) > MaxValueBytes {
		return nil, errorf(CodeBadUserInput, "Invalid value: larger than the %d KiB limit", MaxValueBytes>>10)
	}
	exists, err := r.values.exists(ctx, id.TenantID, name)
	if err != nil {
		return nil, internal(ctx, "check secret", err)
	}
	if !exists {
		// Names made elsewhere (Prefect Cloud allows any name) may still be
		// rotated; new names must follow the rules.
		if err := rules.ValidateName(name); err != nil {
			return nil, errorf(CodeBadUserInput, "Invalid secret name: %v", err)
		}
		n, err := r.values.count(ctx, id.TenantID)
		if err != nil {
			return nil, internal(ctx, "count secrets", err)
		}
		if n >= r.limits.MaxSecrets {
			return nil, errorf(CodeBadUserInput, "Team is full: it holds %d secrets, the most this server allows per team; delete some first", r.limits.MaxSecrets)
		}
	}
	actor, err := r.actor(ctx, id)
	if err != nil {
		return nil, internal(ctx, "look up user", err)
	}
	if err := r.values.put(auditing(ctx, id, actor), id.TenantID, name, actor, value); err != nil {
		return nil, internal(ctx, "set secret", err)
	}
	return &successPayload{ok: true}, nil
}

func (r *resolver) DeleteSecret(ctx context.Context, args struct{ Input struct{ Name string } }) (*successPayload, error) {
	ctx, done, err := startWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	id, err := identify(ctx)
	if err != nil {
		return nil, err
	}
	if !id.canWrite() {
		return nil, errReadOnly
	}
	actor, err := r.actor(ctx, id)
	if err != nil {
		return nil, internal(ctx, "look up user", err)
	}
	found, err := r.values.delete(auditing(ctx, id, actor), id.TenantID, args.Input.Name)
	if err != nil {
		return nil, internal(ctx, "delete secret", err)
	}
	if !found {
		return &successPayload{ok: false, msg: NoValueMessage}, nil
	}
	return &successPayload{ok: true}, nil
}

type authInfo struct{ id identity }

func (a authInfo) UserID() *UUID   { return optUUID(a.id.UserID) }
func (a authInfo) TenantID() *UUID { return optUUID(a.id.TenantID) }
func (a authInfo) Role() *string   { return &a.id.Role }
func (a authInfo) ApiTokenScope() *string {
	scope := "USER"
	if a.id.UserID == "" {
		scope = "TENANT"
	}
	return &scope
}

func (r *resolver) AuthInfo(ctx context.Context) (authInfo, error) {
	id, err := identify(ctx)
	return authInfo{id: id}, err
}

type tenantResolver struct{ t Tenant }

func (t tenantResolver) ID() UUID     { return UUID(t.t.ID) }
func (t tenantResolver) Name() string { return t.t.Name }
func (t tenantResolver) Slug() string { return t.t.Slug }

type stringComparison struct {
	Eq  *string
	Neq *string
}

func (c *stringComparison) match(s string) bool {
	if c == nil {
		return true
	}
	return (c.Eq == nil || *c.Eq == s) && (c.Neq == nil || *c.Neq != s)
}

type tenantArgs struct {
	Where *struct {
		ID   *struct{ Eq *UUID }
		Slug *stringComparison
	}
	OrderBy *[]struct {
		Name *string
		Slug *string
	}
	Limit  *int32
	Offset *int32
}

// Tenant lists the teams the caller is a member of.
func (r *resolver) Tenant(ctx context.Context, args tenantArgs) ([]tenantResolver, error) {
	id, err := identify(ctx)
	if err != nil {
		return nil, err
	}
	teams, err := r.callerTenants(ctx, id)
	if err != nil {
		return nil, internal(ctx, "list teams", err)
	}
	out := make([]tenantResolver, 0, len(teams))
	for _, t := range teams {
		if w := args.Where; w != nil {
			if w.ID != nil && w.ID.Eq != nil && string(*w.ID.Eq) != t.ID {
				continue
			}
			if !w.Slug.match(t.Slug) {
				continue
			}
		}
		out = append(out, tenantResolver{t})
	}
	if args.OrderBy != nil {
		for _, o := range *args.OrderBy {
			if o.Slug != nil && *o.Slug == "desc" || o.Name != nil && *o.Name == "desc" {
				for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
					out[i], out[j] = out[j], out[i]
				}
			}
		}
	}
	out = page(out, args.Offset, args.Limit)
	size := 2
	for _, t := range out {
		size += 80 + len(t.t.Name) + len(t.t.Slug)
	}
	if err := charge(ctx, size); err != nil {
		return nil, err
	}
	return out, nil
}

func page[T any](items []T, offset, limit *int32) []T {
	if offset != nil && *offset > 0 {
		items = items[min(int(*offset), len(items)):]
	}
	if limit != nil && *limit >= 0 {
		items = items[:min(int(*limit), len(items))]
	}
	return items
}

// callerTenants are the teams the caller belongs to, by slug.
func (r *resolver) callerTenants(ctx context.Context, id identity) ([]Tenant, error) {
	if id.UserID == "" {
		t, err := r.dir.TenantByID(ctx, id.TenantID)
		if err != nil {
			return nil, err
		}
		return []Tenant{t}, nil
	}
	_, ms, err := r.dir.User(ctx, id.UserID, id.DefaultTenantID)
	if err != nil {
		return nil, err
	}
	teams := make([]Tenant, len(ms))
	for i, m := range ms {
		teams[i] = m.Tenant
	}
	return teams, nil
}

type userResolver struct {
	u  User
	ms []Membership
}

func (u *userResolver) ID() UUID                   { return UUID(u.u.ID) }
func (u *userResolver) Username() string           { return u.u.Username }
func (u *userResolver) Email() *string             { return &u.u.Email }
func (u *userResolver) FirstName() *string         { return nil }
func (u *userResolver) LastName() *string          { return nil }
func (u *userResolver) Settings() *JSON            { return &JSON{Raw: []byte("{}")} }
func (u *userResolver) DefaultMembershipID() *UUID { return optUUID(u.u.DefaultMembershipID) }
func (u *userResolver) Memberships() []membership {
	out := make([]membership, len(u.ms))
	for i, m := range u.ms {
		out[i] = membership{m}
	}
	return out
}

type membership struct{ m Membership }

func (m membership) ID() UUID               { return UUID(m.m.ID) }
func (m membership) Tenant() tenantResolver { return tenantResolver{m.m.Tenant} }
func (m membership) RoleDetail() roleDetail { return roleDetail(m.m.Role) }

type roleDetail string

// roleIDs are fixed ids for the three roles.
var roleIDs = map[string]string{
	RoleTenantAdmin:  "00000000-0000-4000-8000-000000000001",
	RoleUser:         "00000000-0000-4000-8000-000000000002",
	RoleReadOnlyUser: "00000000-0000-4000-8000-000000000003",
}

func (r roleDetail) ID() UUID     { return UUID(roleIDs[string(r)]) }
func (r roleDetail) Name() string { return string(r) }

type userArgs struct {
	Where *struct{ ID *struct{ Eq *UUID } }
	Limit *int32
}

// User returns the key's user, or nothing for a service key.
func (r *resolver) User(ctx context.Context, args userArgs) ([]*userResolver, error) {
	id, err := identify(ctx)
	if err != nil {
		return nil, err
	}
	if id.UserID == "" {
		return []*userResolver{}, nil
	}
	if w := args.Where; w != nil && w.ID != nil && w.ID.Eq != nil && string(*w.ID.Eq) != id.UserID {
		return []*userResolver{}, nil
	}
	u, ms, err := r.dir.User(ctx, id.UserID, id.DefaultTenantID)
	if err != nil {
		return nil, internal(ctx, "load user", err)
	}
	size := 300 + len(u.Username) + len(u.Email)
	for _, m := range ms {
		size += 250 + len(m.Tenant.Name) + len(m.Tenant.Slug)
	}
	if err := charge(ctx, size); err != nil {
		return nil, err
	}
	return page([]*userResolver{{u: u, ms: ms}}, nil, args.Limit), nil
}

type apiInfo struct{ version string }

func (a apiInfo) Backend() string { return "CLOUD" }
func (a apiInfo) Mode() string    { return "normal" }
func (a apiInfo) Version() string { return a.version }

func (r *resolver) Api() apiInfo { return apiInfo{version: r.version} }
