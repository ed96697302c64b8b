package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// ErrNoSecretsTable is TOML without a [context.secrets] table.
var ErrNoSecretsTable = &ParseError{Format: FormatTOML, Msg: "there is no [context.secrets] table"}

// ParseTOML reads the [context.secrets] table of a Prefect config.toml.
// Strings, integers, floats, booleans, arrays and tables become the same
// JSON values (floats keep a decimal point, so Python reads them back as
// floats). Datetimes, which JSON lacks, become their text as a JSON string:
// RFC 3339 for offset datetimes, the TOML form for local ones
// (2026-01-02T03:04:05, 2026-01-02, 03:04:05). NaN and infinities have no
// JSON form and are refused.
func ParseTOML(data []byte) ([]Entry, error) {
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return nil, tomlError(err)
	}
	context, _ := doc["context"].(map[string]any)
	secrets, ok := context["secrets"].(map[string]any)
	if !ok {
		return nil, ErrNoSecretsTable
	}
	entries := make([]Entry, 0, len(secrets))
	for name, v := range secrets {
		var buf bytes.Buffer
		if why := writeTOMLValue(&buf, v); why != "" {
			entries = append(entries, Entry{Name: name, Invalid: why})
			continue
		}
		entries = append(entries, checked(Entry{Name: name, Value: buf.Bytes()}))
	}
	return sorted(entries), nil
}

// tomlError says where the TOML is broken. The library's own message may
// quote the text around the mistake, so only the position is kept.
func tomlError(err error) error {
	var pe toml.ParseError
	var ppe *toml.ParseError
	switch {
	case errors.As(err, &pe):
	case errors.As(err, &ppe):
		pe = *ppe
	default:
		return &ParseError{Format: FormatTOML, Msg: "the text could not be read as TOML"}
	}
	msg := "check the quotes, brackets and '=' there"
	if pe.Position.Col > 0 {
		msg = fmt.Sprintf("column %d: %s", pe.Position.Col, msg)
	}
	return &ParseError{Format: FormatTOML, Line: pe.Position.Line, Msg: msg}
}

// writeTOMLValue writes a decoded TOML value as compact JSON, or says why
// it cannot.
func writeTOMLValue(buf *bytes.Buffer, v any) string {
	switch v := v.(type) {
	case string:
		writeJSONString(buf, v)
	case int64:
		buf.WriteString(strconv.FormatInt(v, 10))
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "TOML nan and inf have no JSON form"
		}
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !bytes.ContainsAny([]byte(s), ".e") {
			s += ".0"
		}
		buf.WriteString(s)
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case time.Time:
		writeJSONString(buf, tomlTime(v))
	case []any:
		buf.WriteByte('[')
		for i, item := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if why := writeTOMLValue(buf, item); why != "" {
				return why
			}
		}
		buf.WriteByte(']')
	case []map[string]any:
		items := make([]any, len(v))
		for i, m := range v {
			items[i] = m
		}
		return writeTOMLValue(buf, items)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, k)
			buf.WriteByte(':')
			if why := writeTOMLValue(buf, v[k]); why != "" {
				return why
			}
		}
		buf.WriteByte('}')
	default:
		return "this kind of TOML value has no JSON form"
	}
	return ""
}

// tomlTime writes a TOML datetime back as text. The library marks local
// datetimes, dates and times with zones of these names.
func tomlTime(t time.Time) string {
	switch t.Location().String() {
	case "datetime-local":
		return t.Format("2006-01-02T15:04:05.999999999")
	case "date-local":
		return t.Format("2006-01-02")
	case "time-local":
		return t.Format("15:04:05.999999999")
	}
	return t.Format(time.RFC3339Nano)
}

// writeJSONString writes s as a JSON string, without the HTML escaping of
// encoding/json (the stored text stays as written). s must be valid UTF-8.
func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	buf.Truncate(buf.Len() - 1) // Encode's newline
}

// jsonText is s as a JSON string, or false if s is not valid UTF-8.
func jsonText(s string) (json.RawMessage, bool) {
	if !utf8.ValidString(s) {
		return nil, false
	}
	var buf bytes.Buffer
	writeJSONString(&buf, s)
	return buf.Bytes(), true
}
