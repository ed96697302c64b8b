package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/labstack/echo/v4"

	"teamsecrets/rules"
	"teamsecrets/views"
)

// addForm is the add form, built from the request.
type addForm struct {
	Name      string
	Value     secretValue
	Overwrite bool // the visitor confirmed replacing a secret of this name
}

func newAddForm(c echo.Context) addForm {
	return addForm{
		Name:      strings.TrimSpace(c.FormValue("name")),
		Value:     newSecretValue(c),
		Overwrite: c.FormValue("overwrite") == "1",
	}
}

// Validate says what is wrong with the name and the value, by field.
func (f addForm) Validate() views.FieldErrors {
	return views.FieldErrors{Name: nameError(f.Name), Value: f.Value.problem}
}

// rotateForm is the rotate form, built from the request: a new value for
// the secret in the URL and, optionally, a new name.
type rotateForm struct {
	Name      string // the secret's, from the URL
	NewName   string
	Value     secretValue
	Overwrite bool // the visitor confirmed replacing the secret named NewName
}

func newRotateForm(c echo.Context, name string) rotateForm {
	return rotateForm{
		Name:      name,
		NewName:   strings.TrimSpace(c.FormValue("new_name")),
		Value:     newSecretValue(c),
		Overwrite: c.FormValue("overwrite") == "1",
	}
}

// Rename reports whether the secret moves to a new name.
func (f rotateForm) Rename() bool { return f.NewName != "" && f.NewName != f.Name }

// Validate says what is wrong with the value and a new name, by field.
func (f rotateForm) Validate() views.FieldErrors {
	errs := views.FieldErrors{Value: f.Value.problem}
	if f.Rename() {
		errs.NewName = nameError(f.NewName)
	}
	return errs
}

// secretValue is the value field and its type, as submitted. The input is
// checked and turned into the JSON to store once, here; it is never sent
// back to the browser.
type secretValue struct {
	Type    string          // "text" or "json"
	JSON    json.RawMessage // what to store; nil when the input cannot be stored
	problem string          // why it cannot, in a sentence
	typed   bool            // something was typed: a failed submission says it was not kept
}

func newSecretValue(c echo.Context) secretValue {
	v := secretValue{Type: c.FormValue("type")}
	if v.Type != "json" {
		v.Type = "text"
	}
	// Browsers send textarea line breaks as CRLF; a pasted key file means LF.
	input := strings.ReplaceAll(c.FormValue("value"), "\r\n", "\n")
	v.typed = input != ""
	v.JSON, v.problem = encodeValue(input, v.Type)
	return v
}

// reenter is added to every failed submission: the value is never sent back.
const reenter = "For your safety the value was not kept: enter it again."

// notKept adds to the errors of a failed submission that the value typed
// was not kept.
func notKept(errs views.FieldErrors, v secretValue) views.FieldErrors {
	if !errs.Any() || !v.typed {
		return errs
	}
	if errs.Value == "" {
		errs.Value = reenter
	} else {
		errs.Value += " " + reenter
	}
	return errs
}

// encodeValue checks a value of a type and returns the JSON to store, or
// why it cannot be stored.
func encodeValue(input, typ string) (json.RawMessage, string) {
	if input == "" {
		return nil, "Enter a value."
	}
	var raw json.RawMessage
	if typ == "json" {
		v, msg := parseJSONValue(input)
		if msg != "" {
			return nil, msg
		}
		raw = v
	} else {
		b, err := json.Marshal(input)
		if err != nil {
			return nil, "The value is not valid text."
		}
		raw = b
	}
	if len(raw) > rules.MaxValueBytes {
		return nil, fmt.Sprintf("The value is larger than the %d KiB limit.", rules.MaxValueBytes>>10)
	}
	return raw, ""
}

// parseJSONValue checks JSON input and compacts it. Its errors give line and
// column and never quote the input.
func parseJSONValue(s string) (json.RawMessage, string) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			off := dec.InputOffset()
			line, col := lineCol(s, off)
			return nil, fmt.Sprintf("The JSON has extra content after the value, at line %d, column %d.", line, col)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(s)); err != nil {
			return nil, "The JSON is not valid."
		}
		return buf.Bytes(), ""
	}
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(s, syn.Offset)
		return nil, fmt.Sprintf("The JSON is not valid at line %d, column %d.", line, col)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		line, col := lineCol(s, int64(len(s)))
		return nil, fmt.Sprintf("The JSON ends too early, at line %d, column %d.", line, col)
	default:
		return nil, "The JSON is not valid."
	}
}

// lineCol converts a byte offset into 1-based line and column (in
// characters).
func lineCol(s string, off int64) (int, int) {
	if off > int64(len(s)) {
		off = int64(len(s))
	}
	if off < 0 {
		off = 0
	}
	before := s[:off]
	line := strings.Count(before, "\n") + 1
	col := len([]rune(before[strings.LastIndexByte(before, '\n')+1:]))
	if col == 0 {
		col = 1
	}
	return line, col
}

// nameError describes why a new name is not allowed, in a sentence.
func nameError(name string) string {
	err := rules.ValidateName(name)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, rules.ErrEmpty):
		return "Enter a name."
	default:
		s := err.Error()
		return strings.ToUpper(s[:1]) + s[1:] + "."
	}
}
