package importer

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

// ParseDotEnv reads a .env file with docker compose's parser
// (compose-go/dotenv): KEY=value lines, `export `, # comments, single
// quotes (literal), double quotes (escapes such as \n, \", \\; may span
// lines). A PREFECT__CONTEXT__SECRETS__ prefix is stripped from keys.
// Values are text, stored as JSON strings.
//
// dotenv tools read '$' each their own way: compose expands $NAME and
// ${NAME} from its environment and turns $$ into $, others expand only
// ${NAME}, or from the file alone, or not at all; a password such as
// pa$SWORD would silently lose its end. So a value whose text any of this
// would change is refused with a hint instead (single quotes, or \$ inside
// double quotes, keep a '$'), and so is a line without '=', which compose
// fills from its environment.
func ParseDotEnv(data []byte) ([]Entry, error) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.TrimPrefix(text, "\uFEFF")
	// mark stands for whatever the environment would put in place of a
	// variable: a value holding it used one.
	mark := unusedRune(text, '\uE000')
	lookup := func(string) (string, bool) { return mark, true }
	read, err := dotenv.UnmarshalWithLookup(text, lookup)
	if err != nil {
		return nil, dotenvError(text, err)
	}
	// The same text with every '$' hidden behind a character the parser
	// takes as plain text shows each value as written.
	dollar := unusedRune(text+mark, '\uE100')
	literal, err := dotenv.UnmarshalWithLookup(strings.ReplaceAll(text, "$", dollar), lookup)
	if err != nil {
		return nil, dotenvError(text, err)
	}
	entries := make([]Entry, 0, len(read))
	for key, value := range read {
		if key == "" || value == mark {
			// Text after a closing quote, or a line without '=' (compose
			// takes its value from the environment): maybe a pasted value,
			// so not shown as a name.
			return nil, &ParseError{Format: FormatDotEnv, Line: lineOf(text, key),
				Msg: "each line needs KEY=value, with nothing after a closing quote"}
		}
		name, _ := cutSecretsPrefix(key)
		asWritten := strings.ReplaceAll(literal[key], dollar, "$")
		switch {
		case strings.Contains(value, mark) || value != asWritten && value != strings.ReplaceAll(asWritten, `\$`, "$"):
			entries = append(entries, Entry{Name: name, Invalid: "the value has $NAME, ${NAME} or $$, which .env tools read each their own way: " +
				"put it in single quotes to keep every '$' as written"})
		default:
			entries = append(entries, textEntry(name, value))
		}
	}
	return sorted(entries), nil
}

// lineOf finds the line that holds only key (with "export "), or 0.
func lineOf(text, key string) int {
	if key == "" {
		return 0
	}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == key || strings.TrimSpace(strings.TrimPrefix(line, "export")) == key {
			return i + 1
		}
	}
	return 0
}

// cutSecretsPrefix strips PREFECT__CONTEXT__SECRETS__ (any case, as
// Prefect matches it).
func cutSecretsPrefix(key string) (string, bool) {
	const prefix = "PREFECT__CONTEXT__SECRETS__"
	if len(key) > len(prefix) && strings.EqualFold(key[:len(prefix)], prefix) {
		return key[len(prefix):], true
	}
	return key, false
}

// unusedRune is a private-use character, from start on, absent from text.
func unusedRune(text string, start rune) string {
	for r := start; ; r++ {
		if s := string(r); !strings.Contains(text, s) {
			return s
		}
	}
}

var dotenvLineError = regexp.MustCompile(`^line (\d+): (unexpected character|unterminated quoted value|key cannot contain a space)`)

// dotenvError turns a parser error into one that says where, never what:
// the parser's own messages quote the line.
func dotenvError(text string, err error) error {
	e := &ParseError{Format: FormatDotEnv, Msg: "a '$' reference cannot be read: put the value in single quotes"}
	m := dotenvLineError.FindStringSubmatch(err.Error())
	if m == nil {
		return e
	}
	e.Line, _ = strconv.Atoi(m[1])
	switch m[2] {
	case "unexpected character":
		e.Msg = "a name may hold only letters, digits and '_', '.', '-', and each line needs KEY=value"
	case "key cannot contain a space":
		e.Msg = "a name cannot contain a space"
	default:
		e.Msg = "a quoted value has no closing quote"
		// The parser counts lines to the end of the text; the value
		// starts where its first line does.
		first := strings.TrimPrefix(err.Error(), m[0]+" ")
		if i := strings.LastIndex(text, first); first != "" && i >= 0 {
			e.Line = strings.Count(text[:i], "\n") + 1
		}
	}
	return e
}
