package cloud

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Call runs an operation generated in another package (bridge/, whose
// operations the UI must not have) through this client: the same
// credentials, retries and error mapping as the UI's own calls.
func Call[T any](ctx context.Context, c *Client, op string, idempotent bool, f func(context.Context, graphql.Client) (T, error)) (T, error) {
	return do(ctx, op, idempotent, f, c)
}

// Aliased sends a document built in code whose root fields are all
// aliases, e.g. fifty `sN: set_secret(...)` fields: genqlient cannot
// generate a document whose size depends on the input. Names and values
// must travel as variables, never in the document text.
//
// It returns each alias's data and each alias's error (an *Error, mapped as
// for any call). err is set when the document failed as a whole (transport,
// HTTP status, or a GraphQL error not tied to one alias); then nothing in it
// may be trusted.
func (c *Client) Aliased(ctx context.Context, op string, idempotent bool, req *graphql.Request) (data map[string]json.RawMessage, fieldErrs map[string]error, err error) {
	var fields gqlerror.List
	_, err = do(ctx, op, idempotent, func(ctx context.Context, g graphql.Client) (struct{}, error) {
		data = nil
		resp := &graphql.Response{Data: &data}
		err := g.MakeRequest(ctx, req, resp)
		var list gqlerror.List
		if errors.As(err, &list) && allAliased(list) {
			fields = list
			return struct{}{}, nil
		}
		return struct{}{}, err
	}, c)
	if err != nil {
		return nil, nil, err
	}
	if data == nil {
		return nil, nil, classify(op, errMalformed, &call{attempts: 1})
	}
	if len(fields) > 0 {
		fieldErrs = make(map[string]error, len(fields))
		for _, e := range fields {
			alias := e.Path[0].(ast.PathName)
			if fieldErrs[string(alias)] == nil {
				fieldErrs[string(alias)] = classify(op, gqlerror.List{e}, &call{attempts: 1})
			}
		}
	}
	return data, fieldErrs, nil
}

// allAliased reports whether every error names the root field it came from.
func allAliased(list gqlerror.List) bool {
	for _, e := range list {
		if len(e.Path) == 0 {
			return false
		}
		if _, ok := e.Path[0].(ast.PathName); !ok {
			return false
		}
	}
	return len(list) > 0
}
