package cloud

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The list page asks the API for one page of secrets with their metadata
// (the local API's secret_list extension, not in Prefect Cloud) and falls
// back to secret_names against an API without it. Whether the API has it
// is learned from its first answer and remembered for this Client (one
// Client talks to one API).

// Extension states of a Client.
const (
	extUnknown int32 = iota
	extPresent
	extAbsent
)

// MaxPageSize is the most secrets one SecretPage call returns.
const MaxPageSize = 100

// PageQuery asks for one page of a team's secrets.
type PageQuery struct {
	Search    string // names containing it, ASCII case ignored
	ByUpdated bool   // order by last write instead of name
	Desc      bool
	Limit     int // 1 to MaxPageSize
	Offset    int
}

// SecretInfo is a secret without its value.
type SecretInfo struct {
	Name             string
	Created, Updated time.Time // UTC; zero when the API sent none
	UpdatedBy        string    // may be empty
}

// SecretPage is one page of a team's secrets.
type SecretPage struct {
	Matches int // secrets matching the search
	Total   int // secrets in the team
	Secrets []SecretInfo
}

// HasSecretList reports whether the API is known to offer the list
// extension; false when it is known not to, or not known yet.
func (c *Client) HasSecretList() bool { return c.listExt.Load() == extPresent }

// SecretPage returns one page of the team's secrets from the list
// extension. ok is false, with no error, when the API does not offer it
// (then, and on every later call, the caller lists secret_names instead).
func (c *Client) SecretPage(ctx context.Context, q PageQuery) (page SecretPage, ok bool, err error) {
	if c.listExt.Load() == extAbsent {
		return SecretPage{}, false, nil
	}
	var order *Secret_order_by
	dir := Order_byAsc
	if q.Desc {
		dir = Order_byDesc
	}
	if q.ByUpdated {
		order = &Secret_order_by{Updated: &dir}
	} else if q.Desc {
		order = &Secret_order_by{Name: &dir}
	}
	var search *string
	if q.Search != "" {
		search = &q.Search
	}
	offset := q.Offset
	var unknownField bool
	resp, err := do(ctx, "list secrets", true, func(ctx context.Context, g graphql.Client) (*ListSecretPageResponse, error) {
		// ListSecretPage, with room for the page made beforehand (JSON
		// decoding then fills it instead of growing it row by row).
		resp := &ListSecretPageResponse{Page: ListSecretPagePageSecret_page{
			Secrets: make([]ListSecretPagePageSecret_pageSecretsSecret_meta, 0, min(max(q.Limit, 0), MaxPageSize))}}
		err := g.MakeRequest(ctx, &graphql.Request{
			OpName:    "ListSecretPage",
			Query:     ListSecretPage_Operation,
			Variables: &__ListSecretPageInput{Search: search, Order_by: order, Limit: q.Limit, Offset: &offset},
		}, &graphql.Response{Data: resp})
		unknownField = err != nil && lacksField(err, "secret_list")
		return resp, err
	}, c)
	if unknownField {
		c.listExt.Store(extAbsent)
		return SecretPage{}, false, nil
	}
	if err != nil {
		return SecretPage{}, true, err
	}
	c.listExt.Store(extPresent)
	page = SecretPage{Matches: resp.Page.Total_count, Total: resp.Team.Total_count, Secrets: make([]SecretInfo, len(resp.Page.Secrets))}
	for i, s := range resp.Page.Secrets {
		info := SecretInfo{Name: s.Name, Created: parseTime(&s.Created).UTC(), Updated: parseTime(&s.Updated).UTC()}
		if s.Updated_by != nil {
			info.UpdatedBy = *s.Updated_by
		}
		page.Secrets[i] = info
	}
	return page, true, nil
}

// lacksField reports whether err is the API refusing the document because
// its schema has no such field: graphql-go and Apollo say "Cannot query
// field", Hasura "field ... not found in type", with HTTP 200 or 400.
func lacksField(err error, field string) bool {
	var list gqlerror.List
	var httpErr *graphql.HTTPError
	switch {
	case errors.As(err, &httpErr):
		list = httpErr.Response.Errors
	case !errors.As(err, &list):
		return false
	}
	for _, e := range list {
		m := e.Message
		if strings.Contains(m, field) && (strings.Contains(m, "Cannot query field") || strings.Contains(m, "not found in type")) {
			return true
		}
	}
	return false
}
