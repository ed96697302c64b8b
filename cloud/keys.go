package cloud

import (
	"context"
	"time"

	"github.com/Khan/genqlient/graphql"
)

// APIKey is one key as a key list shows it: never the key itself.
type APIKey struct {
	ID, Name  string
	UserID    string // empty for a team key
	CreatedBy string // username; empty when an operator made it
	Created   time.Time
	ExpiresAt time.Time // zero: never
	LastUsed  time.Time // zero: not known (not used, or an API without last_used)
}

// parseTime reads an API time (ISO 8601); unreadable is zero.
func parseTime(s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, *s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// APIKeys lists the keys the caller may see, newest first, with their last
// use where the API records it (an extension: without it, LastUsed stays
// zero and hasLastUsed false).
func (c *Client) APIKeys(ctx context.Context) (keys []APIKey, hasLastUsed bool, err error) {
	resp, err := do(ctx, "list api keys", true, func(ctx context.Context, g graphql.Client) (*ListAPIKeysResponse, error) {
		return ListAPIKeys(ctx, g)
	}, c)
	if err != nil {
		return nil, false, err
	}
	for _, k := range resp.Auth_api_key {
		key := APIKey{ID: k.Id, Name: k.Name, Created: parseTime(&k.Created), ExpiresAt: parseTime(k.Expires_at)}
		if k.User_id != nil {
			key.UserID = *k.User_id
		}
		if k.Created_by != nil {
			key.CreatedBy = k.Created_by.Username
		}
		keys = append(keys, key)
	}
	use, err := do(ctx, "list api key use", true, func(ctx context.Context, g graphql.Client) (*ListAPIKeyUseResponse, error) {
		return ListAPIKeyUse(ctx, g)
	}, c)
	if err != nil {
		// Prefect Cloud has no last_used: the list stands without it.
		return keys, false, nil
	}
	used := map[string]time.Time{}
	for _, k := range use.Auth_api_key {
		used[k.Id] = parseTime(k.Last_used)
	}
	for i := range keys {
		keys[i].LastUsed = used[keys[i].ID]
	}
	return keys, true, nil
}

// NewAPIKey is what CreateAPIKey needs.
type NewAPIKey struct {
	Name      string
	UserID    string    // empty: a team key (TENANT_ADMIN only)
	TeamID    string    // the key's default team
	ExpiresAt time.Time // zero: never
}

// CreateAPIKey makes a key and returns its id and the key, which the API
// shows this once. Never retried: a lost answer must not make a second key.
func (c *Client) CreateAPIKey(ctx context.Context, k NewAPIKey) (id, key string, err error) {
	in := Create_api_key_input{Name: k.Name}
	if k.UserID != "" {
		in.User_id = &k.UserID
	}
	if k.TeamID != "" {
		in.Default_tenant_id = &k.TeamID
	}
	if !k.ExpiresAt.IsZero() {
		s := k.ExpiresAt.UTC().Format(time.RFC3339)
		in.Expires_at = &s
	}
	resp, err := do(ctx, "create api key", false, func(ctx context.Context, g graphql.Client) (*CreateAPIKeyResponse, error) {
		return CreateAPIKey(ctx, g, in)
	}, c)
	if err != nil {
		return "", "", err
	}
	p := resp.Create_api_key
	if p == nil || p.Key == nil || *p.Key == "" {
		return "", "", payloadError("create api key", "")
	}
	if p.Id != nil {
		id = *p.Id
	}
	return id, *p.Key, nil
}

// DeleteAPIKey revokes a key. It reports false when the API did not (no
// such key, or not one the caller may revoke). Never retried.
func (c *Client) DeleteAPIKey(ctx context.Context, id string) (bool, error) {
	resp, err := do(ctx, "delete api key", false, func(ctx context.Context, g graphql.Client) (*DeleteAPIKeyResponse, error) {
		return DeleteAPIKey(ctx, g, Delete_api_key_input{Key_id: id})
	}, c)
	if err != nil {
		return false, err
	}
	p := resp.Delete_api_key
	if p == nil || p.Success == nil {
		return false, payloadError("delete api key", "")
	}
	return *p.Success, nil
}

// UserID is the id of the key's user; empty for a team key.
func (c *Client) UserID(ctx context.Context) (string, error) {
	auth, err := do(ctx, "auth info", true, func(ctx context.Context, g graphql.Client) (*AuthInfoResponse, error) {
		return AuthInfo(ctx, g)
	}, c)
	if err != nil {
		return "", err
	}
	if auth.Auth_info.User_id == nil {
		return "", nil
	}
	return *auth.Auth_info.User_id, nil
}
