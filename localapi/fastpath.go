package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// The plain `secret_names` query is what every client sends most, and
// graphql-go resolves list items one by one through reflection: at 100,000
// names that alone takes 100 ms. Documents that ask for exactly that field,
// with nothing else (no alias, argument, directive, variable or fragment),
// are answered directly with the same JSON graphql-go would produce.
// Everything else goes through graphql-go.

// plainNamesCache remembers query texts that are the plain secret_names
// query, so the hottest request skips parsing. Only short texts are kept,
// and only up to a byte budget: what a client sends cannot pin memory.
// Other documents are never cached (they are parsed and measured each
// time).
type plainNamesCache struct {
	mu    sync.RWMutex
	names map[string]string // query text -> its operation name ("" if unnamed)
	bytes int
}

const (
	maxCachedQueryBytes = 512      // longer texts are parsed every time
	maxCacheBytes       = 64 << 10 // all cached texts together
)

// match reports whether query (with operationName) is a known plain
// secret_names query.
func (c *plainNamesCache) match(query, operationName string) bool {
	c.mu.RLock()
	name, ok := c.names[query]
	c.mu.RUnlock()
	return ok && (operationName == "" || operationName == name)
}

// remember keeps a plain query's text while the byte budget allows.
func (c *plainNamesCache) remember(query string, d *document) {
	if len(query) > maxCachedQueryBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.names[query]; ok || c.bytes+len(query) > maxCacheBytes {
		return
	}
	if c.names == nil {
		c.names = map[string]string{}
	}
	c.names[query] = d.doc.Operations[0].Name
	c.bytes += len(query)
}

// isPlainNames reports whether the document is exactly the plain
// secret_names query and operationName (if any) names it.
func (d *document) isPlainNames(operationName string) bool {
	name, ok := plainNamesOperation(d.doc)
	return ok && (operationName == "" || operationName == name)
}

func parsePlainNames(query string) (opName string, ok bool) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return "", false
	}
	return plainNamesOperation(doc)
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

// serveSecretNames answers the plain secret_names query.
func (s *Server) serveSecretNames(ctx context.Context, w http.ResponseWriter, c *caller) {
	ctx = withCaller(ctx, c)
	id, err := identify(ctx)
	var names []string
	if err == nil {
		names, err = s.store.SecretNames(ctx, id.TenantID)
		if err != nil {
			err = internal(ctx, "list secret names", err)
		}
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
		return
	}
	var resp namesResponse
	resp.Data.Names = names
	out, err := json.Marshal(resp)
	if err != nil {
		slog.ErrorContext(ctx, "encode secret names", "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Write(out)
}
