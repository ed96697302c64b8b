// Package cloud is the UI's typed client for the Cloud GraphQL API. The
// generated functions in generated.go (from operations/*.graphql, by
// genqlient) are the only way the UI talks to the API; this file adds
// credentials, retries and error mapping around them.
package cloud

//go:generate go tool genqlient ../genqlient.yaml

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/Khan/genqlient/graphql"
)

// Client calls the Cloud GraphQL API.
type Client struct {
	gql      graphql.Client
	listExt  atomic.Int32 // does the API offer secret_list (secret_list.go)
	auditExt atomic.Int32 // does the API offer audit_events (audit.go)
}

// New returns a client for a GraphQL endpoint. base may be nil for
// http.DefaultTransport.
func New(endpoint string, base http.RoundTripper, policy RetryPolicy) *Client {
	if base == nil {
		base = http.DefaultTransport
	}
	hc := &http.Client{Transport: &transport{base: base, policy: policy}}
	return &Client{gql: graphql.NewClient(endpoint, hc)}
}

// do runs one generated operation, retrying when idempotent, and maps its
// error.
func do[T any](ctx context.Context, op string, idempotent bool, f func(context.Context, graphql.Client) (T, error), c *Client) (T, error) {
	rec := &call{retry: idempotent}
	resp, err := f(withCall(ctx, rec), c.gql)
	return resp, classify(op, err, rec)
}

// SecretNames lists the team's secret names, in the API's order.
func (c *Client) SecretNames(ctx context.Context) ([]string, error) {
	resp, err := do(ctx, "list secret names", true, func(ctx context.Context, g graphql.Client) (*ListSecretNamesResponse, error) {
		return ListSecretNames(ctx, g)
	}, c)
	if err != nil {
		return nil, err
	}
	return resp.Secret_names, nil
}

// SetSecret creates or replaces a secret. value is the JSON to store (a JSON
// string for a text secret). Safe to retry: the same write twice is one.
func (c *Client) SetSecret(ctx context.Context, name string, value json.RawMessage) error {
	resp, err := do(ctx, "set secret", true, func(ctx context.Context, g graphql.Client) (*SetSecretResponse, error) {
		return SetSecret(ctx, g, name, value)
	}, c)
	if err != nil {
		return err
	}
	if p := resp.Set_secret; p == nil || p.Success == nil || !*p.Success {
		msg := ""
		if p != nil && p.Error != nil {
			msg = *p.Error
		}
		return payloadError("set secret", msg)
	}
	return nil
}

// DeleteSecret deletes a secret. It reports false when there was none.
// Never retried: a lost answer must not turn into a second delete.
func (c *Client) DeleteSecret(ctx context.Context, name string) (bool, error) {
	resp, err := do(ctx, "delete secret", false, func(ctx context.Context, g graphql.Client) (*DeleteSecretResponse, error) {
		return DeleteSecret(ctx, g, name)
	}, c)
	if err != nil {
		return false, err
	}
	p := resp.Delete_secret
	if p != nil && p.Success != nil && *p.Success {
		return true, nil
	}
	if p != nil && p.Error != nil {
		// The API answers success=false for a name that is not there.
		return false, nil
	}
	return false, payloadError("delete secret", "")
}

func payloadError(op, msg string) error {
	if msg == "" {
		msg = "no success reported"
	}
	return &Error{Kind: ErrMalformed, Message: "The secrets API did not confirm the change.",
		Err: fmt.Errorf("%s: %w: %s", op, errMalformed, msg)}
}

// Team is a team the key may act in, with its role there.
type Team struct {
	ID, Slug, Name, Role string
}

// ReadOnly reports whether the role may only read names.
func (t Team) ReadOnly() bool { return t.Role == "READ_ONLY_USER" }

// Identity is who an API key is: a user and their teams, or a team key.
type Identity struct {
	Username      string // empty for a team key
	Teams         []Team // by slug
	DefaultTeamID string
}

// Identify checks a key (ctx must carry it, without a team) and returns its
// teams: from user.memberships, or for keys with no user from auth_info and
// tenant.
func (c *Client) Identify(ctx context.Context) (Identity, error) {
	auth, err := do(ctx, "auth info", true, func(ctx context.Context, g graphql.Client) (*AuthInfoResponse, error) {
		return AuthInfo(ctx, g)
	}, c)
	if err != nil {
		return Identity{}, err
	}
	var id Identity
	if auth.Auth_info.Tenant_id != nil {
		id.DefaultTeamID = *auth.Auth_info.Tenant_id
	}
	if auth.Auth_info.User_id != nil {
		users, err := do(ctx, "current user", true, func(ctx context.Context, g graphql.Client) (*CurrentUserResponse, error) {
			return CurrentUser(ctx, g)
		}, c)
		if err != nil {
			return Identity{}, err
		}
		if len(users.User) > 0 {
			u := users.User[0]
			id.Username = u.Username
			keyReadOnly := auth.Auth_info.Role != nil && *auth.Auth_info.Role == "READ_ONLY_USER"
			for _, m := range u.Memberships {
				role := m.Role_detail.Name
				if keyReadOnly {
					// A key acts with no more than its own role: a read-only key
					// of a member who may write is read-only everywhere.
					role = "READ_ONLY_USER"
				}
				id.Teams = append(id.Teams, Team{ID: m.Tenant.Id, Slug: m.Tenant.Slug, Name: m.Tenant.Name, Role: role})
			}
			if len(id.Teams) > 0 {
				return id, nil
			}
		}
	}
	teams, err := do(ctx, "list teams", true, func(ctx context.Context, g graphql.Client) (*ListTeamsResponse, error) {
		return ListTeams(ctx, g)
	}, c)
	if err != nil {
		return Identity{}, err
	}
	role := "USER"
	if auth.Auth_info.Role != nil && *auth.Auth_info.Role != "" {
		role = *auth.Auth_info.Role
	}
	for _, t := range teams.Tenant {
		id.Teams = append(id.Teams, Team{ID: t.Id, Slug: t.Slug, Name: t.Name, Role: role})
	}
	return id, nil
}
