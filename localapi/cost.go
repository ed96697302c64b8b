package localapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// A document is measured before graphql-go sees it: graphql-go's validation
// and execution cost grow faster than the document (overlapping fields are
// compared pairwise, aliases multiply work, fragments multiply fields,
// variables multiply where they are used), so every bound here is counted
// in one linear pass over the parsed document. A document over a bound is
// refused whole, before anything runs: no partial writes.
//
// One parser decides: the document is parsed here (gqlparser, the
// reference grammar) and graphql-go runs that parse printed back as text,
// never the client's text. A document the two parsers would read
// differently (graphql-go's lexer also takes Go-style escapes such as
// "\x41") therefore cannot be measured as one thing and run as another; a
// document gqlparser refuses is refused.

// costError is a refusal with the rule that was broken; its message never
// quotes the document (a literal may be a secret value).
type costError struct {
	msg     string
	invalid bool // not a limit: the document is not GraphQL (syntax, fragments, numbers)
}

func (e *costError) Error() string { return e.msg }

// outcome is the metrics' outcome of a request refused with e.
func (e *costError) outcome() string {
	if e.invalid {
		return OutcomeInvalid
	}
	return OutcomeRefused
}

// refuse is a document over a limit.
func refuse(format string, args ...any) *costError {
	return &costError{msg: fmt.Sprintf(format, args...)}
}

// invalidQuery is a document that is not valid GraphQL, whatever the
// limits.
func invalidQuery(format string, args ...any) *costError {
	return &costError{msg: fmt.Sprintf(format, args...), invalid: true}
}

// document is a parsed GraphQL document, the text graphql-go runs, and
// what the fast path needs of it.
type document struct {
	doc       *ast.QueryDocument
	text      string    // doc printed back: what graphql-go runs
	plain     bool      // exactly the plain secret_names query
	plainName string    // its operation name, if plain
	list      *listPage // the list page's shape (listpage.go), or nil
}

// parseDocument parses query under the token limit and prints it back for
// graphql-go.
func parseDocument(query string, l Limits) (*document, *costError) {
	if len(query) > l.MaxQueryBytes {
		return nil, refuse("Query too large: documents may be at most %d KiB", l.MaxQueryBytes>>10)
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, l.MaxTokens)
	if err != nil {
		if strings.Contains(err.Error(), "exceeded token limit") {
			return nil, refuse("Query too complex: documents may have at most %d tokens", l.MaxTokens)
		}
		return nil, invalidQuery("Invalid query: %s", syntaxMessage(err))
	}
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithIndent(" ")).FormatQueryDocument(doc)
	d := &document{doc: doc, text: b.String()}
	d.plainName, d.plain = plainNamesOperation(doc)
	d.list = listPageOperation(doc)
	return d, nil
}

// syntaxMessage says where gqlparser stopped, without the token it quotes
// (a broken literal may be a secret value).
func syntaxMessage(err error) string {
	var gerr *gqlerror.Error
	if errors.As(err, &gerr) && len(gerr.Locations) > 0 {
		return fmt.Sprintf("syntax error at line %d, column %d", gerr.Locations[0].Line, gerr.Locations[0].Column)
	}
	return "syntax error"
}

// isMutation reports whether the operation that runs is a mutation.
func (d *document) isMutation(operationName string) bool {
	for _, op := range d.doc.Operations {
		if operationName == "" || op.Name == operationName {
			return op.Operation == ast.Mutation
		}
	}
	return false
}

// measure checks the document against the limits. vars are the request's
// variables: where a field uses one, its value counts there, as graphql-go
// will build it there (a default value counts when the variable is not
// sent).
func (d *document) measure(l Limits, vars map[string]json.RawMessage) *costError {
	m := measurer{limits: l, doc: d.doc, vars: vars}
	if len(d.doc.Fragments) > 0 {
		m.frag, m.fragRoot, m.fragLists, m.onStack = map[fragAt]cost{}, map[string]int{}, map[string]int{}, map[string]bool{}
	}
	for _, f := range d.doc.Fragments {
		if err := m.literals(f.SelectionSet); err != nil {
			return err
		}
	}
	for _, op := range d.doc.Operations {
		m.op = op
		m.varSize = map[string]int{}
		for _, v := range op.VariableDefinitions {
			if err := checkLiteral(v.DefaultValue); err != nil {
				return err
			}
		}
		if err := m.literals(op.SelectionSet); err != nil {
			return err
		}
		roots, err := m.rootFields(op.SelectionSet)
		if err != nil {
			return err
		}
		if roots > l.MaxRootFields {
			return refuse("Query too large: an operation may select at most %d top-level fields (aliases count); split it into several requests", l.MaxRootFields)
		}
		c, err := m.size(op.SelectionSet, 1, false)
		if err != nil {
			return err
		}
		m.total.add(c)
		if err := m.check(m.total); err != nil {
			return err
		}
		if op.Operation == ast.Mutation {
			if err := m.writes(op.SelectionSet); err != nil {
				return err
			}
		}
	}
	return nil
}

// cost is what a selection set expands to.
type cost struct {
	fields   int // fields, introspection fields weighted
	argBytes int // argument values, variables expanded where used
}

func (c *cost) add(o cost) { c.fields += o.fields; c.argBytes += o.argBytes }

func (m *measurer) over(c cost) bool {
	return c.fields > m.limits.MaxFields || c.argBytes > m.limits.MaxWriteBytes
}

func (m *measurer) check(c cost) *costError {
	if c.fields > m.limits.MaxFields {
		return refuse("Query too large: a document may select at most %d fields in all (fragments expanded; a field of __schema or __type counts %d)", m.limits.MaxFields, introspectionWeight)
	}
	if c.argBytes > m.limits.MaxWriteBytes {
		return refuse("Query too large: a document's arguments may come to at most %d MiB, counting a variable each time it is used; nothing was written", m.limits.MaxWriteBytes>>20)
	}
	return nil
}

// introspectionWeight is what a field inside __schema or __type counts:
// their lists (every type, every field of every type) multiply each field
// asked for, and their answers are not counted by the response budget.
// The standard introspection query (about 180 fields) still fits.
const introspectionWeight = 20

type measurer struct {
	limits    Limits
	doc       *ast.QueryDocument
	op        *ast.OperationDefinition
	vars      map[string]json.RawMessage
	varSize   map[string]int // per operation: a variable's value as JSON, sent or default
	total     cost
	frag      map[fragAt]cost // a fragment's cost, by where it is spread
	fragRoot  map[string]int  // top-level fields a fragment adds where it is spread
	fragLists map[string]int  // of which team-wide lists
	onStack   map[string]bool // nil maps when the document has no fragments
	lists     int             // root fields that return a team-wide list
}

// listFields return a whole team's list (or the schema's): each alias of
// one repeats it.
var listFields = map[string]bool{"secret_names": true, "secret_list": true, "audit_events": true, "tenant": true, "user": true, "__schema": true, "__type": true}

// fragAt is a fragment spread at a depth, inside introspection or not:
// the limits depend on both.
type fragAt struct {
	name          string
	depth         int
	introspection bool
}

// size counts the fields and argument bytes of a selection set, fragments
// expanded, and enforces the depth limit. It stops counting past a limit,
// so a fragment bomb costs no more than the limit.
func (m *measurer) size(set ast.SelectionSet, depth int, introspection bool) (cost, *costError) {
	if depth > m.limits.MaxDepth {
		return cost{}, refuse("Query too deep: selections may nest at most %d levels", m.limits.MaxDepth)
	}
	var n cost
	for _, sel := range set {
		var k cost
		var err *costError
		switch s := sel.(type) {
		case *ast.Field:
			in := introspection || s.Name == "__schema" || s.Name == "__type"
			k, err = m.size(s.SelectionSet, depth+1, in)
			k.fields++
			if in {
				k.fields += introspectionWeight - 1
			}
			k.argBytes += m.argumentBytes(s.Arguments) + m.directiveBytes(s.Directives)
		case *ast.InlineFragment:
			k, err = m.size(s.SelectionSet, depth, introspection)
			k.argBytes += m.directiveBytes(s.Directives)
		case *ast.FragmentSpread:
			k, err = m.fragment(s.Name, depth, introspection)
			k.argBytes += m.directiveBytes(s.Directives)
		}
		if err != nil {
			return cost{}, err
		}
		n.add(k)
		if m.over(n) {
			return n, nil
		}
	}
	return n, nil
}

func (m *measurer) fragment(name string, depth int, introspection bool) (cost, *costError) {
	at := fragAt{name, depth, introspection}
	if c, ok := m.frag[at]; ok {
		return c, nil
	}
	f := m.doc.Fragments.ForName(name)
	if f == nil {
		return cost{}, invalidQuery("Invalid query: unknown fragment %q", name)
	}
	if m.onStack[name] {
		return cost{}, invalidQuery("Invalid query: fragment %q spreads itself", name)
	}
	m.onStack[name] = true
	defer delete(m.onStack, name)
	c, err := m.size(f.SelectionSet, depth, introspection)
	if err == nil {
		m.frag[at] = c
	}
	return c, err
}

func (m *measurer) argumentBytes(args ast.ArgumentList) int {
	n := 0
	for _, a := range args {
		n += len(a.Name) + m.valueBytes(a.Value)
	}
	return n
}

func (m *measurer) directiveBytes(ds ast.DirectiveList) int {
	n := 0
	for _, d := range ds {
		n += len(d.Name) + m.argumentBytes(d.Arguments)
	}
	return n
}

// valueBytes is about the JSON size of an argument value, each variable
// counted (once measured) every time it is used.
func (m *measurer) valueBytes(v *ast.Value) int {
	if v == nil {
		return 0
	}
	switch v.Kind {
	case ast.Variable:
		return m.variableBytes(v.Raw)
	case ast.StringValue, ast.BlockValue:
		return len(v.Raw) + 2
	case ast.ListValue, ast.ObjectValue:
		n := 2
		for _, c := range v.Children {
			n += len(c.Name) + 4 + m.valueBytes(c.Value)
			if n > m.limits.MaxWriteBytes {
				return n // enough to refuse; stop counting
			}
		}
		return n
	}
	return len(v.Raw)
}

// variableBytes is the size of a variable's value: as sent, or else its
// default, which graphql-go fills in.
func (m *measurer) variableBytes(name string) int {
	if n, ok := m.varSize[name]; ok {
		return n
	}
	m.varSize[name] = 0 // a default that names variables cannot recurse
	n := 0
	if v, sent := m.vars[name]; sent {
		n = compactBytes(v)
	} else if m.op != nil {
		if def := m.op.VariableDefinitions.ForName(name); def != nil {
			n = m.valueBytes(def.DefaultValue)
		}
	}
	m.varSize[name] = n
	return n
}

// rootFields counts the fields an operation's top level selects, through
// inline fragments and fragment spreads, and the team-wide lists among
// them.
func (m *measurer) rootFields(set ast.SelectionSet) (int, *costError) {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n++
			if listFields[s.Name] {
				m.lists++
				if m.lists > m.limits.MaxListFields {
					return 0, refuse("Query too large: a document may ask for team-wide lists (secret_names, secret_list, audit_events, tenant, user, __schema, __type) at most %d times", m.limits.MaxListFields)
				}
			}
		case *ast.InlineFragment:
			k, err := m.rootFields(s.SelectionSet)
			if err != nil {
				return 0, err
			}
			n += k
		case *ast.FragmentSpread:
			if k, ok := m.fragRoot[s.Name]; ok && m.fragLists[s.Name] == 0 {
				n += k
				continue
			}
			f := m.doc.Fragments.ForName(s.Name)
			if f == nil {
				return 0, invalidQuery("Invalid query: unknown fragment %q", s.Name)
			}
			if m.onStack[s.Name] {
				return 0, invalidQuery("Invalid query: fragment %q spreads itself", s.Name)
			}
			m.onStack[s.Name] = true
			lists := m.lists
			k, err := m.rootFields(f.SelectionSet)
			delete(m.onStack, s.Name)
			if err != nil {
				return 0, err
			}
			m.fragRoot[s.Name] = k
			m.fragLists[s.Name] = m.lists - lists
			n += k
		}
		if n > m.limits.MaxRootFields {
			return n, nil
		}
	}
	return n, nil
}

// literals checks every argument literal in a selection set (not through
// fragment spreads: each fragment is checked once on its own).
func (m *measurer) literals(set ast.SelectionSet) *costError {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				if err := checkLiteral(a.Value); err != nil {
					return err
				}
			}
			if err := m.literals(s.SelectionSet); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := m.literals(s.SelectionSet); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkLiteral refuses number literals that do not fit a 64-bit integer or
// a finite float: graphql-go panics on them.
func checkLiteral(v *ast.Value) *costError {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case ast.IntValue:
		if _, err := strconv.ParseInt(v.Raw, 10, 64); err != nil {
			return invalidQuery("Invalid number at line %d, column %d: integers must fit in 64 bits (send larger numbers as a variable or a string)", line(v), column(v))
		}
	case ast.FloatValue:
		if f, err := strconv.ParseFloat(v.Raw, 64); err != nil || math.IsInf(f, 0) {
			return invalidQuery("Invalid number at line %d, column %d: out of the range of a 64-bit float (send it as a variable or a string)", line(v), column(v))
		}
	case ast.ListValue, ast.ObjectValue:
		for _, c := range v.Children {
			if err := checkLiteral(c.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

func line(v *ast.Value) int {
	if v.Position == nil {
		return 0
	}
	return v.Position.Line
}

func column(v *ast.Value) int {
	if v.Position == nil {
		return 0
	}
	return v.Position.Column
}

// writes adds up the values a mutation's set_secret fields would store and
// refuses the whole document when one is over the value limit or all
// together are over the write budget, before the first one is written.
func (m *measurer) writes(set ast.SelectionSet) *costError {
	total := 0
	var walk func(ast.SelectionSet, int) *costError
	walk = func(set ast.SelectionSet, depth int) *costError {
		if depth > 8 {
			return nil // fragments that spread themselves are refused elsewhere
		}
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name != "set_secret" {
					continue
				}
				n := m.setSecretValueBytes(s)
				if n > MaxValueBytes {
					return refuse("Invalid value: larger than the %d KiB limit; nothing was written", MaxValueBytes>>10)
				}
				total += n
				if total > m.limits.MaxWriteBytes {
					return refuse("Request too large: one document may write at most %d MiB of values; nothing was written, send fewer secrets per request", m.limits.MaxWriteBytes>>20)
				}
			case *ast.InlineFragment:
				if err := walk(s.SelectionSet, depth+1); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				if f := m.doc.Fragments.ForName(s.Name); f != nil {
					if err := walk(f.SelectionSet, depth+1); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	return walk(set, 0)
}

// setSecretValueBytes is the size of the JSON value a set_secret field
// would store: from an inline literal, a variable, or a variable holding
// the whole input (sent, or its default).
func (m *measurer) setSecretValueBytes(f *ast.Field) int {
	in := f.Arguments.ForName("input")
	if in == nil || in.Value == nil {
		return 0
	}
	switch in.Value.Kind {
	case ast.Variable:
		if v, sent := m.vars[in.Value.Raw]; sent {
			var input struct {
				Value json.RawMessage `json:"value"`
			}
			json.Unmarshal(v, &input)
			return compactBytes(input.Value)
		}
		if def := m.op.VariableDefinitions.ForName(in.Value.Raw); def != nil && def.DefaultValue != nil {
			if c := def.DefaultValue.Children.ForName("value"); c != nil {
				return m.valueBytes(c)
			}
		}
	case ast.ObjectValue:
		if c := in.Value.Children.ForName("value"); c != nil {
			return m.valueBytes(c)
		}
	}
	return 0
}

// compactBytes is the size of a JSON text without insignificant space: no
// more than the value takes once decoded and encoded again.
func compactBytes(raw json.RawMessage) int {
	n, inString, escaped := 0, false, false
	for _, c := range raw {
		switch {
		case inString:
			n++
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			n++
			if c == '"' {
				inString = true
			}
		}
	}
	return n
}
