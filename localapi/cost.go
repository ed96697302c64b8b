package localapi

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// A document is measured before graphql-go sees it: graphql-go's validation
// and execution cost grow faster than the document (overlapping fields are
// compared pairwise, aliases multiply work, fragments multiply fields), so
// every bound here is counted in one linear pass over the parsed document.
// A document over a bound is refused whole, before anything runs: no
// partial writes.

// costError is a refusal with the rule that was broken; its message never
// quotes the document (a literal may be a secret value).
type costError struct{ msg string }

func (e *costError) Error() string { return e.msg }

func refuse(format string, args ...any) *costError {
	return &costError{msg: fmt.Sprintf(format, args...)}
}

// document is a parsed GraphQL document and what the fast path needs of it.
type document struct {
	doc       *ast.QueryDocument
	plain     bool   // exactly the plain secret_names query
	plainName string // its operation name, if plain
}

// parseDocument parses query under the token limit. A syntax error is left
// for graphql-go to report in its usual words; the document is then nil.
func parseDocument(query string, l Limits) (*document, *costError) {
	if len(query) > l.MaxQueryBytes {
		return nil, refuse("Query too large: documents may be at most %d KiB", l.MaxQueryBytes>>10)
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, l.MaxTokens)
	if err != nil {
		if isTokenLimit(err) {
			return nil, refuse("Query too complex: documents may have at most %d tokens", l.MaxTokens)
		}
		return nil, nil
	}
	d := &document{doc: doc}
	d.plainName, d.plain = plainNamesOperation(doc)
	return d, nil
}

func isTokenLimit(err error) bool {
	return strings.Contains(err.Error(), "exceeded token limit")
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
// variables, for the size of the values set_secret would write.
func (d *document) measure(l Limits, vars map[string]any) *costError {
	m := measurer{limits: l, doc: d.doc}
	if len(d.doc.Fragments) > 0 {
		m.fragSize, m.fragRoot, m.fragLists, m.onStack = map[fragAt]int{}, map[string]int{}, map[string]int{}, map[string]bool{}
	}
	for _, f := range d.doc.Fragments {
		if err := m.literals(f.SelectionSet); err != nil {
			return err
		}
	}
	for _, op := range d.doc.Operations {
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
		size, err := m.size(op.SelectionSet, 1)
		if err != nil {
			return err
		}
		m.total += size
		if m.total > l.MaxFields {
			return refuse("Query too large: a document may select at most %d fields in all (fragments expanded)", l.MaxFields)
		}
		if op.Operation == ast.Mutation {
			if err := m.writes(op.SelectionSet, vars); err != nil {
				return err
			}
		}
	}
	return nil
}

type measurer struct {
	limits    Limits
	doc       *ast.QueryDocument
	total     int
	fragSize  map[fragAt]int // fields a fragment expands to, by where it is spread
	fragRoot  map[string]int // top-level fields a fragment adds where it is spread
	fragLists map[string]int // of which team-wide lists
	onStack   map[string]bool
	lists     int // root fields that return a team-wide list
}

// listFields return a whole team's list: each alias of one repeats it.
var listFields = map[string]bool{"secret_names": true, "tenant": true, "user": true}

// size counts the fields of a selection set, fragments expanded, and
// enforces the depth limit. It stops counting past the field limit, so a
// fragment bomb costs no more than the limit.
func (m *measurer) size(set ast.SelectionSet, depth int) (int, *costError) {
	if depth > m.limits.MaxDepth {
		return 0, refuse("Query too deep: selections may nest at most %d levels", m.limits.MaxDepth)
	}
	n := 0
	for _, sel := range set {
		var k int
		var err *costError
		switch s := sel.(type) {
		case *ast.Field:
			k, err = m.size(s.SelectionSet, depth+1)
			k++
		case *ast.InlineFragment:
			k, err = m.size(s.SelectionSet, depth)
		case *ast.FragmentSpread:
			k, err = m.fragment(s.Name, depth)
		}
		if err != nil {
			return 0, err
		}
		n += k
		if n > m.limits.MaxFields {
			return n, nil
		}
	}
	return n, nil
}

// fragAt is a fragment spread at a depth: the depth limit depends on it.
type fragAt struct {
	name  string
	depth int
}

func (m *measurer) fragment(name string, depth int) (int, *costError) {
	if n, ok := m.fragSize[fragAt{name, depth}]; ok {
		return n, nil
	}
	f := m.doc.Fragments.ForName(name)
	if f == nil {
		return 0, nil // graphql-go reports the unknown fragment
	}
	if m.onStack[name] {
		return 0, refuse("Invalid query: fragment %q spreads itself", name)
	}
	m.onStack[name] = true
	defer delete(m.onStack, name)
	n, err := m.size(f.SelectionSet, depth)
	if err == nil {
		m.fragSize[fragAt{name, depth}] = n
	}
	return n, err
}

// rootFields counts the fields an operation's top level selects, through
// inline fragments and fragment spreads.
func (m *measurer) rootFields(set ast.SelectionSet) (int, *costError) {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n++
			if listFields[s.Name] {
				m.lists++
				if m.lists > m.limits.MaxListFields {
					return 0, refuse("Query too large: a document may ask for team-wide lists (secret_names, tenant, user) at most %d times", m.limits.MaxListFields)
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
				continue
			}
			if m.onStack[s.Name] {
				return 0, refuse("Invalid query: fragment %q spreads itself", s.Name)
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
			return refuse("Invalid number at line %d, column %d: integers must fit in 64 bits (send larger numbers as a variable or a string)", line(v), column(v))
		}
	case ast.FloatValue:
		if f, err := strconv.ParseFloat(v.Raw, 64); err != nil || math.IsInf(f, 0) {
			return refuse("Invalid number at line %d, column %d: out of the range of a 64-bit float (send it as a variable or a string)", line(v), column(v))
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
func (m *measurer) writes(set ast.SelectionSet, vars map[string]any) *costError {
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
				n := setSecretValueBytes(s, vars)
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
// the whole input.
func setSecretValueBytes(f *ast.Field, vars map[string]any) int {
	in := f.Arguments.ForName("input")
	if in == nil || in.Value == nil {
		return 0
	}
	switch in.Value.Kind {
	case ast.Variable:
		input, _ := vars[in.Value.Raw].(map[string]any)
		return jsonBytes(input["value"])
	case ast.ObjectValue:
		for _, c := range in.Value.Children {
			if c.Name == "value" {
				return valueBytes(c.Value, vars)
			}
		}
	}
	return 0
}

// valueBytes approximates the JSON size of a literal; variables count by
// their JSON.
func valueBytes(v *ast.Value, vars map[string]any) int {
	if v == nil {
		return 0
	}
	switch v.Kind {
	case ast.Variable:
		return jsonBytes(vars[v.Raw])
	case ast.StringValue, ast.BlockValue:
		return len(v.Raw) + 2
	case ast.ListValue, ast.ObjectValue:
		n := 2
		for _, c := range v.Children {
			n += len(c.Name) + 4 + valueBytes(c.Value, vars)
		}
		return n
	}
	return len(v.Raw)
}

// jsonBytes is the size of a variable's value as JSON (0 when absent).
func jsonBytes(v any) int {
	if v == nil {
		return 0
	}
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(b)
}
