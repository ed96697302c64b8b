package localapi

import (
	"context"
	"sync"
	"time"

	"teamsecrets/localapi/store"
)

// secret_list is an extension of the local API (not in Prefect Cloud): the
// list page's one page of secrets with their metadata, searched, ordered
// and counted here, so a client never fetches a whole team's names to show
// fifty. It never returns a value.

// MaxSecretListLimit bounds one page of secret_list.
const MaxSecretListLimit = 100

// maxSecretListOffset bounds how far a page may start (SQLite walks the
// skipped rows of an index).
const maxSecretListOffset = 10_000_000

// teamKeyActor is what updated_by says for a write made with a team key.
const teamKeyActor = "team key"

type secretListArgs struct {
	Search  *string
	OrderBy *struct {
		Name    *string
		Updated *string
	}
	Limit  int32
	Offset *int32
}

// query turns the arguments into a store query, or a BAD_USER_INPUT error.
func (a secretListArgs) query() (store.SecretQuery, error) {
	var q store.SecretQuery
	if a.Limit < 0 || a.Limit > MaxSecretListLimit {
		return q, errorf(CodeBadUserInput, "Invalid limit: secret_list returns 0 to %d secrets at a time", MaxSecretListLimit)
	}
	q.Limit = int(a.Limit)
	if a.Offset != nil {
		if *a.Offset < 0 || *a.Offset > maxSecretListOffset {
			return q, errorf(CodeBadUserInput, "Invalid offset: it must be 0 to %d", maxSecretListOffset)
		}
		q.Offset = int(*a.Offset)
	}
	if a.Search != nil {
		q.Search = *a.Search
		if len(q.Search) > 1024 {
			return q, errorf(CodeBadUserInput, "Invalid search: at most 1024 bytes")
		}
	}
	if o := a.OrderBy; o != nil {
		if o.Name != nil && o.Updated != nil {
			return q, errorf(CodeBadUserInput, "Invalid order_by: order by name or by updated, not both")
		}
		switch {
		case o.Updated != nil:
			q.ByUpdated, q.Desc = true, *o.Updated == "desc"
		case o.Name != nil:
			q.Desc = *o.Name == "desc"
		}
	}
	return q, nil
}

// SecretList answers secret_list. Every role may: it shows names (which
// read-only members see anyway) and metadata, never values.
func (r *resolver) SecretList(ctx context.Context, args secretListArgs) (*secretPage, error) {
	id, err := identify(ctx)
	if err != nil {
		return nil, err
	}
	q, err := args.query()
	if err != nil {
		return nil, err
	}
	total, err := r.values.matches(ctx, id.TenantID, q.Search)
	if err != nil {
		return nil, internal(ctx, "count secrets", err)
	}
	var metas []store.SecretMeta
	if q.Limit > 0 && q.Offset < total {
		if metas, err = r.values.metas(ctx, id.TenantID, q); err != nil {
			return nil, internal(ctx, "list secrets", err)
		}
	}
	size := 40
	for _, m := range metas {
		size += 130 + len(m.Name) + len(m.UpdatedBy)
	}
	if err := charge(ctx, size); err != nil {
		return nil, err
	}
	p := &secretPage{total: int32(total), secrets: make([]secretMeta, len(metas))}
	for i, m := range metas {
		p.secrets[i] = secretMeta{m}
	}
	return p, nil
}

type secretPage struct {
	total   int32
	secrets []secretMeta
}

func (p *secretPage) TotalCount() int32     { return p.total }
func (p *secretPage) Secrets() []secretMeta { return p.secrets }

type secretMeta struct{ m store.SecretMeta }

func (s secretMeta) Name() string    { return s.m.Name }
func (s secretMeta) Created() string { return s.m.Created.Format(time.RFC3339Nano) }
func (s secretMeta) Updated() string { return s.m.Updated.Format(time.RFC3339Nano) }
func (s secretMeta) UpdatedBy() *string {
	if s.m.UpdatedBy == "" {
		return nil
	}
	return &s.m.UpdatedBy
}

// actor is who a write is recorded as: the key's user by name, or "team
// key" for a team (service) key.
func (r *resolver) actor(ctx context.Context, id identity) (string, error) {
	if id.UserID == "" {
		return teamKeyActor, nil
	}
	if name, ok := r.names.get(id.UserID); ok {
		return name, nil
	}
	u, _, err := r.dir.User(ctx, id.UserID, id.DefaultTenantID)
	if err != nil {
		return "", err
	}
	r.names.put(id.UserID, u.Username)
	return u.Username, nil
}

// usernames remembers user names by id, so a write does not load its
// user and memberships each time. Users are never renamed; the map is
// emptied when it grows past maxUsernames, so it stays small.
type usernames struct {
	mu sync.RWMutex
	m  map[string]string
}

const maxUsernames = 10_000

func (u *usernames) get(id string) (string, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	name, ok := u.m[id]
	return name, ok
}

func (u *usernames) put(id, name string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil || len(u.m) >= maxUsernames {
		u.m = map[string]string{}
	}
	u.m[id] = name
}
