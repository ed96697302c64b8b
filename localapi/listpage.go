package localapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"

	"teamsecrets/localapi/store"
)

// The UI's list page document (ListSecretPage: one page of secret_list and
// the team's size, a second secret_list with limit 0) is sent on every
// list page. graphql-go resolving its 50 rows, each field through
// reflection, allocated more than everything else in the request together.
// Documents of that shape, only secret_list fields selecting only
// total_count and secrets { name created updated updated_by }, are answered
// here with the JSON graphql-go would write, byte for byte (a test compares
// both).
//
// Only successful answers are written here: a request this path is not
// sure of (a variable of another form than the plain one, an argument the
// resolver refuses, no identity, a store error) goes to graphql-go as
// before, which then gives the answer, error and all. The document has been
// measured before either runs.

// listPage is a document of that shape.
type listPage struct {
	opName string
	vars   map[string]string // variable -> its declared type
	fields []listField       // in the document's order
}

// listField is one secret_list field.
type listField struct {
	key                            string // alias or name: the response key
	search, orderBy, limit, offset listArg
	sels                           []string // total_count, secrets, in order
	secretSels                     []string // of secrets: name, created, updated, updated_by
}

// listArg is an argument: a variable, an Int literal, or absent.
type listArg struct {
	variable string
	lit      *int32
}

// listArgTypes are the variable types this path takes for each argument:
// exactly the argument's own type.
var listArgTypes = map[string]string{"search": "String", "order_by": "secret_order_by", "limit": "Int!", "offset": "Int"}

// listPageOperation recognises the shape, or returns nil.
func listPageOperation(doc *ast.QueryDocument) *listPage {
	if len(doc.Operations) != 1 || len(doc.Fragments) != 0 {
		return nil
	}
	op := doc.Operations[0]
	if op.Operation != ast.Query || len(op.Directives) != 0 || len(op.SelectionSet) == 0 {
		return nil
	}
	p := &listPage{opName: op.Name, vars: map[string]string{}}
	for _, v := range op.VariableDefinitions {
		if v.DefaultValue != nil || len(v.Directives) != 0 || v.Type == nil || p.vars[v.Variable] != "" {
			return nil
		}
		p.vars[v.Variable] = v.Type.String()
	}
	used := map[string]bool{}
	keys := map[string]bool{}
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || f.Name != "secret_list" || len(f.Directives) != 0 {
			return nil
		}
		lf := listField{key: responseKey(f)}
		if keys[lf.key] {
			return nil // graphql-go merges or refuses fields of one key
		}
		keys[lf.key] = true
		for _, a := range f.Arguments {
			var dst *listArg
			switch a.Name {
			case "search":
				dst = &lf.search
			case "order_by":
				dst = &lf.orderBy
			case "limit":
				dst = &lf.limit
			case "offset":
				dst = &lf.offset
			default:
				return nil
			}
			if *dst != (listArg{}) || a.Value == nil {
				return nil
			}
			switch a.Value.Kind {
			case ast.Variable:
				if p.vars[a.Value.Raw] != listArgTypes[a.Name] {
					return nil
				}
				dst.variable = a.Value.Raw
				used[a.Value.Raw] = true
			case ast.IntValue:
				n, ok := int32Text(a.Value.Raw)
				if !ok || (a.Name != "limit" && a.Name != "offset") {
					return nil
				}
				dst.lit = &n
			default:
				return nil
			}
		}
		if lf.limit == (listArg{}) {
			return nil // limit is required
		}
		var ok2 bool
		if lf.sels, ok2 = plainFields(f.SelectionSet, "total_count", "secrets"); !ok2 {
			return nil
		}
		for _, sel := range f.SelectionSet {
			if s := sel.(*ast.Field); s.Name == "secrets" {
				if lf.secretSels, ok2 = plainFields(s.SelectionSet, "name", "created", "updated", "updated_by"); !ok2 {
					return nil
				}
			} else if len(s.SelectionSet) != 0 {
				return nil
			}
		}
		p.fields = append(p.fields, lf)
	}
	if len(used) != len(p.vars) {
		return nil // an unused variable is an error in graphql-go
	}
	return p
}

func responseKey(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// plainFields returns the names of a selection set that selects only
// fields among allowed, each once, without alias, argument or directive.
func plainFields(set ast.SelectionSet, allowed ...string) ([]string, bool) {
	if len(set) == 0 {
		return nil, false
	}
	var names []string
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		if !ok || responseKey(f) != f.Name || len(f.Arguments) != 0 || len(f.Directives) != 0 {
			return nil, false
		}
		known := false
		for _, a := range allowed {
			known = known || a == f.Name
		}
		for _, n := range names {
			known = known && n != f.Name
		}
		if !known {
			return nil, false
		}
		names = append(names, f.Name)
	}
	return names, true
}

// int32Text parses an integer written as strconv writes it that fits an
// Int (what intVariable gives graphql-go as an int32).
func int32Text(s string) (int32, bool) {
	i, err := strconv.ParseInt(s, 10, 32)
	if err != nil || strconv.FormatInt(i, 10) != s {
		return 0, false
	}
	return int32(i), true
}

// runs reports whether the request's operation name picks this operation.
func (p *listPage) runs(operationName string) bool {
	return operationName == "" || operationName == p.opName
}

// args builds each field's arguments from the request's variables, or
// reports false when a variable is not of the plain form this path takes.
func (p *listPage) args(raw map[string]json.RawMessage) ([]secretListArgs, bool) {
	for name := range raw {
		if p.vars[name] == "" {
			return nil, false
		}
	}
	out := make([]secretListArgs, len(p.fields))
	for i, f := range p.fields {
		a := &out[i]
		if f.search.variable != "" {
			v := raw[f.search.variable]
			if len(v) > 0 && string(v) != "null" {
				if v[0] != '"' {
					return nil, false
				}
				var s string
				if json.Unmarshal(v, &s) != nil {
					return nil, false
				}
				a.Search = &s
			}
		}
		if f.orderBy.variable != "" {
			v := raw[f.orderBy.variable]
			if len(v) > 0 && string(v) != "null" {
				if v[0] != '{' {
					return nil, false
				}
				var o map[string]json.RawMessage
				if json.Unmarshal(v, &o) != nil {
					return nil, false
				}
				a.OrderBy = &struct{ Name, Updated *string }{}
				for k, d := range o {
					var dir *string
					switch string(d) {
					case "null":
					case `"asc"`:
						dir = &orderAsc
					case `"desc"`:
						dir = &orderDesc
					default:
						return nil, false
					}
					switch k {
					case "name":
						a.OrderBy.Name = dir
					case "updated":
						a.OrderBy.Updated = dir
					default:
						return nil, false
					}
				}
			}
		}
		limit, ok := intArg(f.limit, raw)
		if !ok || limit == nil {
			return nil, false
		}
		a.Limit = *limit
		if a.Offset, ok = intArg(f.offset, raw); !ok {
			return nil, false
		}
	}
	return out, true
}

var orderAsc, orderDesc = "asc", "desc"

// intArg is an Int argument: its literal, or its variable (nil when absent
// or null).
func intArg(a listArg, raw map[string]json.RawMessage) (*int32, bool) {
	if a.lit != nil {
		return a.lit, true
	}
	if a.variable == "" {
		return nil, true
	}
	v := raw[a.variable]
	if len(v) == 0 || string(v) == "null" {
		return nil, true
	}
	n, ok := int32Text(string(v))
	return &n, ok
}

// serveListPage answers a list page document within ctx (the document's
// time limit), saying how in call, or reports false (nothing written) to
// leave it to graphql-go.
func (s *Server) serveListPage(ctx context.Context, r *http.Request, w http.ResponseWriter, c *caller, p *listPage, raw map[string]json.RawMessage, call *apiCall) bool {
	args, ok := p.args(raw)
	if !ok {
		return false
	}
	ctx = withCaller(ctx, c)
	id, err := identify(ctx)
	if err != nil {
		return false
	}
	queries := make([]store.SecretQuery, len(args))
	for i, a := range args {
		if queries[i], err = a.query(); err != nil {
			return false
		}
	}
	type page struct {
		total int
		metas []store.SecretMeta
	}
	pages := make([]page, len(queries))
	size := 0
	for i, q := range queries {
		// As SecretList does, query by query.
		pg := &pages[i]
		if pg.total, err = s.values.matches(ctx, id.TenantID, q.Search); err == nil && q.Limit > 0 && q.Offset < pg.total {
			pg.metas, err = s.values.metas(ctx, id.TenantID, q)
		}
		if err != nil {
			break
		}
		size += 40
		for _, m := range pg.metas {
			size += 130 + len(m.Name) + len(m.UpdatedBy)
		}
	}
	switch {
	case ctx.Err() != nil:
		call.outcome = requestOver(ctx, w, r) // the client gone, or the time limit
		return true
	case err == nil && int64(size) > int64(s.limits.MaxResponseBytes):
		call.outcome = OutcomeRefused
		writeErrors(w, http.StatusBadRequest, CodeBadUserInput, errResponseTooLarge(int64(s.limits.MaxResponseBytes)).Error())
		return true
	case err != nil:
		return false // graphql-go asks again, and logs and answers the error
	}

	bp := answers.Get().(*[]byte)
	defer answers.Put(bp)
	out := append((*bp)[:0], `{"data":{`...)
	for i, f := range p.fields {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, f.key...)
		out = append(out, `":{`...)
		for j, sel := range f.sels {
			if j > 0 {
				out = append(out, ',')
			}
			switch sel {
			case "total_count":
				out = append(out, `"total_count":`...)
				out = strconv.AppendInt(out, int64(int32(pages[i].total)), 10)
			case "secrets":
				out = append(out, `"secrets":[`...)
				for k, m := range pages[i].metas {
					if k > 0 {
						out = append(out, ',')
					}
					out = appendMeta(out, f.secretSels, m)
				}
				out = append(out, ']')
			}
		}
		out = append(out, '}')
	}
	out = append(out, "}}"...)
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
	if cap(out) <= maxPooledAnswer {
		*bp = out
	}
	return true
}

// answers are the buffers list page answers are written in (the writer
// copies them): a page of 100 is at most about 70 KB.
var answers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

const maxPooledAnswer = 128 << 10

// appendMeta writes one secret_meta as secretMeta resolves it.
func appendMeta(out []byte, sels []string, m store.SecretMeta) []byte {
	out = append(out, '{')
	for i, sel := range sels {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, sel...)
		out = append(out, `":`...)
		switch sel {
		case "name":
			out = appendJSONString(out, m.Name)
		case "created":
			out = appendTime(out, m.Created)
		case "updated":
			out = appendTime(out, m.Updated)
		case "updated_by":
			if m.UpdatedBy == "" {
				out = append(out, "null"...)
			} else {
				out = appendJSONString(out, m.UpdatedBy)
			}
		}
	}
	return append(out, '}')
}

func appendTime(out []byte, t time.Time) []byte {
	out = append(out, '"')
	out = t.AppendFormat(out, time.RFC3339Nano)
	return append(out, '"')
}

// appendJSONString writes s as encoding/json does (graphql-go encodes
// strings with it): plain printable ASCII as is, anything else through
// encoding/json itself.
func appendJSONString(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(out, b...)
		}
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"')
}
