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

// secretForm is the add and rotate form, built from the request.
type secretForm struct {
	Name      string
	NewName   string
	Value     string
	Type      string // "text" or "json"
	Overwrite bool
}

func newSecretForm(c echo.Context) secretForm {
	f := secretForm{
		Name:      strings.TrimSpace(c.FormValue("name")),
		NewName:   strings.TrimSpace(c.FormValue("new_name")),
		Value:     c.FormValue("value"),
		Type:      c.FormValue("type"),
		Overwrite: c.FormValue("overwrite") == "1",
	}
	if f.Type != "json" {
		f.Type = "text"
	}
	// Browsers send textarea line breaks as CRLF; a pasted key file means LF.
	f.Value = strings.ReplaceAll(f.Value, "\r\n", "\n")
	return f
}

// reenter is added to every failed submission: the value is never sent back.
const reenter = "For your safety the value was not kept: enter it again."

// encodeValue validates the value and returns the JSON to store.
func (f secretForm) encodeValue() (json.RawMessage, string) {
	if f.Value == "" {
		return nil, "Enter a value."
	}
	var raw json.RawMessage
	if f.Type == "json" {
		v, msg := parseJSONValue(f.Value)
		if msg != "" {
			return nil, msg
		}
		raw = v
	} else {
		b, err := json.Marshal(f.Value)
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

// formPage is the add/rotate page for a submission that failed; the name is
// kept, the value is not.
func (a *App) formPage(c echo.Context, f secretForm, rotate bool, errs views.FieldErrors, confirm string) views.SecretFormPage {
	team := teamOf(c)
	p := views.SecretFormPage{
		CSRF: a.csrfToken(c), CancelURL: listURL(team.Slug), Rotate: rotate,
		Name: f.Name, NewName: f.NewName, ValueType: f.Type, Errors: errs, ConfirmName: confirm,
	}
	shown := f.Name
	if rotate {
		shown = f.NewName
		p.Action = rotateURL(team.Slug, f.Name)
		p.Layout = a.layout(c, "Rotate "+f.Name)
	} else {
		p.Action = listURL(team.Slug)
		p.Layout = a.layout(c, "Add a secret")
	}
	p.NoEnvVarWarning = shown != "" && !rules.EnvOverridable(shown)
	if errs.Any() && f.Value != "" {
		if errs.Value == "" {
			p.Errors.Value = reenter
		} else {
			p.Errors.Value += " " + reenter
		}
	}
	return p
}
