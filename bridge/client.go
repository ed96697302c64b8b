// Package bridge brings a team's secrets to Prefect flows that cannot ask
// an API for them (Prefect Server): `teamsecrets run` reads the values and
// puts them where Prefect 1.x looks first, PREFECT__CONTEXT__SECRETS__<NAME>.
//
// Reading values needs secret_value, which the UI's client (cloud/) must
// never contain, so this package has its own genqlient config
// (genqlient.yaml) and generated code. Every call goes through a
// *cloud.Client: the same transport (key, team header, retries) and error
// mapping as the UI.
package bridge

//go:generate go tool genqlient genqlient.yaml

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/Khan/genqlient/graphql"

	"teamsecrets/cloud"
)

// MaxBatchReads is how many secret_value fields one document asks for: 50
// values of at most 64 KiB (3.2 MiB) stay below the 4 MiB response cap, and 50 fields
// far below 1,000 per document.
const MaxBatchReads = 50

// Client reads secret values and finds teams.
type Client struct {
	api *cloud.Client
}

// New wraps a client made by cloud.New.
func New(api *cloud.Client) *Client { return &Client{api: api} }

// ErrNoTeam means no team with that slug is visible to the key.
var ErrNoTeam = errors.New("no such team for this key")

// TeamID returns the id of the team with this slug, to send as
// X-PREFECT-TENANT-ID.
func (c *Client) TeamID(ctx context.Context, slug string) (string, error) {
	resp, err := cloud.Call(ctx, c.api, "find team", true, func(ctx context.Context, g graphql.Client) (*TeamBySlugResponse, error) {
		return TeamBySlug(ctx, g, &slug)
	})
	if err != nil {
		return "", err
	}
	for _, t := range resp.Tenant {
		if t.Id != "" {
			return t.Id, nil
		}
	}
	return "", ErrNoTeam
}

// Value reads one secret. A missing secret is an error matching
// cloud.ErrNotFound.
func (c *Client) Value(ctx context.Context, name string) (json.RawMessage, error) {
	resp, err := cloud.Call(ctx, c.api, "read secret", true, func(ctx context.Context, g graphql.Client) (*SecretValueResponse, error) {
		return SecretValue(ctx, g, name)
	})
	if err != nil {
		return nil, err
	}
	if resp.Secret_value == nil {
		return json.RawMessage("null"), nil
	}
	return *resp.Secret_value, nil
}

// Values reads the named secrets, MaxBatchReads per request, and returns
// them by name; missing lists the names the team does not have. Any other
// failure of any secret fails the whole read: its error names the secret.
func (c *Client) Values(ctx context.Context, names []string) (values map[string]json.RawMessage, missing []string, err error) {
	values = make(map[string]json.RawMessage, len(names))
	for start := 0; start < len(names); start += MaxBatchReads {
		batch := names[start:min(start+MaxBatchReads, len(names))]
		if len(batch) == 1 {
			v, err := c.Value(ctx, batch[0])
			switch {
			case errors.Is(err, cloud.ErrNotFound):
				missing = append(missing, batch[0])
			case err != nil:
				return nil, nil, fmt.Errorf("read secret %q: %w", batch[0], err)
			default:
				values[batch[0]] = v
			}
			continue
		}
		data, fieldErrs, err := c.api.Aliased(ctx, "read secrets", true, secretValuesRequest(batch))
		if err != nil {
			return nil, nil, err
		}
		for i, name := range batch {
			alias := fmt.Sprintf("v%d", i)
			switch ferr := fieldErrs[alias]; {
			case errors.Is(ferr, cloud.ErrNotFound):
				missing = append(missing, name)
			case ferr != nil:
				return nil, nil, fmt.Errorf("read secret %q: %w", name, ferr)
			default:
				v, ok := data[alias]
				if !ok {
					return nil, nil, fmt.Errorf("read secret %q: the API's answer lacks it", name)
				}
				values[name] = v
			}
		}
	}
	return values, missing, nil
}

// secretValuesRequest builds `query SecretValues` for one batch. Names are
// variables, never part of the document text.
func secretValuesRequest(batch []string) *graphql.Request {
	var b strings.Builder
	vars := make(map[string]any, len(batch))
	b.WriteString("query SecretValues(")
	for i, name := range batch {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$n%d: String!", i)
		vars[fmt.Sprintf("n%d", i)] = name
	}
	b.WriteString(") {")
	for i := range batch {
		fmt.Fprintf(&b, "\n  v%d: secret_value(name: $n%d)", i, i)
	}
	b.WriteString("\n}")
	return &graphql.Request{Query: b.String(), Variables: vars, OpName: "SecretValues"}
}
