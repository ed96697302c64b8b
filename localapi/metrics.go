package localapi

import (
	"errors"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	gqlast "github.com/graph-gophers/graphql-go/ast"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	"github.com/vektah/gqlparser/v2/ast"
)

// Metrics hears of every request the API answers and of every refusal by
// its API-key failure limit (package metrics counts them). Its labels are
// bounded and never the client's text: operation is a top-level field of
// the schema, OperationMultiple or OperationOther (never the request's
// operationName); outcome is one of the Outcome constants.
type Metrics interface {
	APICall(operation, outcome string, d time.Duration)
	APIKeyRefused()
}

// WithMetrics reports every request and limit refusal to m.
func WithMetrics(m Metrics) Option { return func(s *Server) { s.metrics = m } }

// Operation labels besides the schema's top-level field names.
const (
	// OperationMultiple: the operation selects several different
	// top-level fields.
	OperationMultiple = "multiple"
	// OperationOther: no field of the schema (an unknown field, an
	// operationName the document does not hold), or a request refused
	// before its document was read.
	OperationOther = "other"
)

// Outcomes of a request, the whole set.
const (
	OutcomeOK              = "ok"
	OutcomeInvalid         = "invalid"         // malformed request, syntax, validation, a bad argument
	OutcomeRefused         = "refused"         // over a limit: body, document cost, response size, time
	OutcomeRateLimited     = "rate_limited"    // the API-key failure limit refused the address (429)
	OutcomeUnauthenticated = "unauthenticated" // no key, or one the store does not know
	OutcomeForbidden       = "forbidden"       // a key without the role or membership needed
	OutcomeNotFound        = "not_found"       // no value for the requested key
	OutcomeError           = "error"           // the server failed (the store, or an internal error)
	OutcomeCanceled        = "canceled"        // the client left before the answer
)

// apiCall is what one request is counted as.
type apiCall struct{ op, outcome string }

// rootFieldNames are the top-level fields of the schema's query and
// mutation types: the operation labels.
func rootFieldNames(s *graphql.Schema) map[string]bool {
	names := map[string]bool{}
	for _, kind := range []string{"query", "mutation"} {
		if t, ok := s.AST().RootOperationTypes[kind].(*gqlast.ObjectTypeDefinition); ok {
			for _, f := range t.Fields {
				names[f.Name] = true
			}
		}
	}
	return names
}

// operationLabel is the top-level field the operation operationName of d
// selects, through fragments too; OperationMultiple for several,
// OperationOther for none of known.
func operationLabel(d *document, operationName string, known map[string]bool) string {
	var op *ast.OperationDefinition
	for _, o := range d.doc.Operations {
		if operationName == "" || o.Name == operationName {
			op = o
			break
		}
	}
	if op == nil {
		return OperationOther
	}
	name, multiple := "", false
	seen := map[string]bool{} // fragments walked: each once, cycles too
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			if multiple {
				return
			}
			switch x := sel.(type) {
			case *ast.Field:
				if name == "" {
					name = x.Name
				} else if x.Name != name {
					multiple = true
				}
			case *ast.InlineFragment:
				walk(x.SelectionSet)
			case *ast.FragmentSpread:
				if f := d.doc.Fragments.ForName(x.Name); f != nil && !seen[x.Name] {
					seen[x.Name] = true
					walk(f.SelectionSet)
				}
			}
		}
	}
	walk(op.SelectionSet)
	switch {
	case multiple:
		return OperationMultiple
	case known[name]:
		return name
	}
	return OperationOther
}

// errorsOutcome is the outcome of an answer with these errors: the
// gravest one's (a server failure over a refused key over the rest).
func errorsOutcome(errs []*gqlerrors.QueryError) string {
	out := OutcomeOK
	for _, e := range errs {
		code, _ := e.Extensions["code"].(string)
		if o := codeOutcome(code, e.Message); outcomeRank(o) > outcomeRank(out) {
			out = o
		}
	}
	return out
}

// errOutcome is the outcome of a request that failed with err.
func errOutcome(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return codeOutcome(ae.code, ae.msg)
	}
	return OutcomeError
}

func codeOutcome(code, msg string) string {
	switch {
	case msg == NoValueMessage:
		return OutcomeNotFound
	case code == CodeUnauthenticated:
		return OutcomeUnauthenticated
	case code == CodeForbidden:
		return OutcomeForbidden
	case code == CodeBadUserInput:
		return OutcomeInvalid
	}
	return OutcomeError
}

func outcomeRank(o string) int {
	switch o {
	case OutcomeError:
		return 5
	case OutcomeUnauthenticated:
		return 4
	case OutcomeForbidden:
		return 3
	case OutcomeNotFound:
		return 2
	case OutcomeInvalid:
		return 1
	}
	return 0
}
