// Package importer reads secrets kept locally the ways Prefect 1.x allows,
// the [context.secrets] table of config.toml, .env files and
// PREFECT__CONTEXT__SECRETS__* variables, as names and JSON values, and
// writes them to a team. The CLI (teamsecrets import) and the UI's Import
// page share it.
//
// Nothing here ever puts a value in an error, a reason or a result.
package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"teamsecrets/rules"
)

// Format is how a source is written.
type Format string

// The formats a source may have. Detect chooses for FormatAuto.
const (
	FormatAuto   Format = ""
	FormatTOML   Format = "toml"   // Prefect's config.toml: the [context.secrets] table
	FormatDotEnv Format = "dotenv" // KEY=value lines
)

// Entry is one secret read from a source.
type Entry struct {
	Name    string
	Value   json.RawMessage // compact JSON; nil when Invalid is set
	Invalid string          // why it cannot be imported, never quoting the value
}

// ParseError is a source that could not be read at all. It names where,
// never what was written there.
type ParseError struct {
	Format Format
	Line   int // 0 when unknown
	Msg    string
}

func (e *ParseError) Error() string {
	if e == ErrNoSecretsTable {
		return "the TOML has no [context.secrets] table"
	}
	what := map[Format]string{FormatTOML: "TOML", FormatDotEnv: ".env"}[e.Format]
	if e.Line > 0 {
		return fmt.Sprintf("not valid %s at line %d: %s", what, e.Line, e.Msg)
	}
	return fmt.Sprintf("not valid %s: %s", what, e.Msg)
}

// Detect tells a source's format from its file name, or else its text:
// TOML when a line opens a table ("[context.secrets]"), or when it is TOML
// with a context.secrets table; .env otherwise.
func Detect(filename string, data []byte) Format {
	base := strings.ToLower(filepath.Base(filename))
	switch {
	case strings.HasSuffix(base, ".toml"):
		return FormatTOML
	case base == ".env" || strings.HasSuffix(base, ".env") || strings.HasPrefix(base, ".env."):
		return FormatDotEnv
	}
	for line := range bytes.Lines(data) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] == '[' {
			return FormatTOML
		}
	}
	if _, err := ParseTOML(data); err == nil {
		return FormatTOML // e.g. context.secrets.NAME = "..." lines
	}
	return FormatDotEnv
}

// Parse reads a source in the given format (FormatAuto: detected).
func Parse(data []byte, format Format, filename string) ([]Entry, Format, error) {
	if format == FormatAuto {
		format = Detect(filename, data)
	}
	var entries []Entry
	var err error
	switch format {
	case FormatTOML:
		entries, err = ParseTOML(data)
	case FormatDotEnv:
		entries, err = ParseDotEnv(data)
	default:
		return nil, format, fmt.Errorf("unknown format %q (toml or dotenv)", string(format))
	}
	return entries, format, err
}

// ParseEnviron reads the PREFECT__CONTEXT__SECRETS__* variables of an
// environment (os.Environ()), the way Prefect does: "PREFECT__" exactly,
// "CONTEXT__SECRETS__" in any case, the name's case kept. Values are text.
func ParseEnviron(environ []string) []Entry {
	const prefect, section = "PREFECT__", "CONTEXT__SECRETS__"
	var entries []Entry
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		rest, ok := strings.CutPrefix(k, prefect)
		if !ok || len(rest) < len(section) || !strings.EqualFold(rest[:len(section)], section) {
			continue
		}
		name := rest[len(section):]
		e := textEntry(name, v)
		if e.Invalid == "" && strings.Contains(name, "__") {
			e = Entry{Name: name, Invalid: "Prefect reads '__' in this variable's name as a nested key, not as part of the secret's name"}
		}
		entries = append(entries, e)
	}
	return sorted(entries)
}

// textEntry is a secret whose value is text: stored as a JSON string, so
// `teamsecrets run` gives back the very same text and Secret.get() parses it
// as it parsed the local text.
func textEntry(name, text string) Entry {
	b, ok := jsonText(text)
	if !ok {
		return Entry{Name: name, Invalid: "the value is not valid UTF-8 text"}
	}
	return checked(Entry{Name: name, Value: b})
}

// checked applies the rules every new secret must meet.
func checked(e Entry) Entry {
	if err := rules.ValidateName(e.Name); err != nil {
		return Entry{Name: e.Name, Invalid: err.Error()}
	}
	if len(e.Value) > rules.MaxValueBytes {
		return Entry{Name: e.Name, Invalid: fmt.Sprintf("the value is larger than the %d KiB limit", rules.MaxValueBytes>>10)}
	}
	return e
}

// sorted orders entries by name, the last of each name winning.
func sorted(entries []Entry) []Entry {
	slices.SortStableFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	out := entries[:0]
	for i, e := range entries {
		if i+1 < len(entries) && entries[i+1].Name == e.Name {
			continue
		}
		out = append(out, e)
	}
	return out
}

// Merge joins the entries of several sources; for a name given more than
// once, the last source wins.
func Merge(sources ...[]Entry) []Entry {
	var all []Entry
	for _, s := range sources {
		all = append(all, s...)
	}
	return sorted(all)
}
