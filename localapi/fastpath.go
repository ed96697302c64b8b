package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/vektah/gqlparser/v2/ast"
)

// The plain `secret_names` query is what every client sends most, and
// graphql-go resolves list items one by one through reflection: at 100,000
// names that alone takes 100 ms. Documents that ask for exactly that field,
// with nothing else (no alias, argument, directive, variable or fragment),
// are answered directly with the same JSON graphql-go would produce.
// Everything else goes through graphql-go.

// isPlainNames reports whether the document is exactly the plain
// secret_names query and operationName (if any) names it.
func (d *document) isPlainNames(operationName string) bool {
	return d.plain && (operationName == "" || operationName == d.plainName)
}

func plainNamesOperation(doc *ast.QueryDocument) (opName string, ok bool) {
	if len(doc.Operations) != 1 || len(doc.Fragments) != 0 {
		return "", false
	}
	op := doc.Operations[0]
	if op.Operation != ast.Query || len(op.VariableDefinitions) != 0 || len(op.Directives) != 0 || len(op.SelectionSet) != 1 {
		return "", false
	}
	f, isField := op.SelectionSet[0].(*ast.Field)
	if !isField || f.Name != "secret_names" || (f.Alias != "" && f.Alias != f.Name) ||
		len(f.Arguments) != 0 || len(f.Directives) != 0 || len(f.SelectionSet) != 0 {
		return "", false
	}
	return op.Name, true
}

type namesResponse struct {
	Data struct {
		Names []string `json:"secret_names"`
	} `json:"data"`
}

// serveSecretNames answers the plain secret_names query within ctx (the
// document's time limit), and returns the request's outcome.
func (s *Server) serveSecretNames(ctx context.Context, w http.ResponseWriter, r *http.Request, c *caller) string {
	ctx = withCaller(ctx, c)
	id, err := identify(ctx)
	var names []string
	if err == nil {
		names, err = s.values.names(ctx, id.TenantID)
		if err != nil {
			err = internal(ctx, "list secret names", err)
		}
	}
	if ctx.Err() != nil {
		return requestOver(ctx, w, r) // as graphql-go's path answers it
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		code := CodeAPIError
		var ae *apiError
		if errors.As(err, &ae) {
			code = ae.code
		}
		type gqlError struct {
			Message    string            `json:"message"`
			Path       []string          `json:"path"`
			Extensions map[string]string `json:"extensions"`
		}
		json.NewEncoder(w).Encode(struct {
			Errors []gqlError `json:"errors"`
			Data   *struct{}  `json:"data"`
		}{Errors: []gqlError{{Message: err.Error(), Path: []string{"secret_names"}, Extensions: map[string]string{"code": code}}}})
		return errOutcome(err)
	}
	var resp namesResponse
	resp.Data.Names = names
	out, err := json.Marshal(resp)
	if err != nil {
		slog.ErrorContext(ctx, "encode secret names", "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		return OutcomeError
	}
	w.Write(out)
	return OutcomeOK
}
