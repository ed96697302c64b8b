package handlers

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

// apiKeyForm is the "create a key" form as sent.
type apiKeyForm struct {
	Name    string
	Expires string // YYYY-MM-DD, or empty
	ForTeam bool   // a team key (no user)

	expiresAt time.Time
}

func newAPIKeyForm(c echo.Context) apiKeyForm {
	return apiKeyForm{
		Name:    strings.TrimSpace(c.FormValue("name")),
		Expires: strings.TrimSpace(c.FormValue("expires")),
		ForTeam: c.FormValue("owner") == "team",
	}
}

// Validate checks the form against now and fills expiresAt: the start of
// the chosen day, UTC, which must be in the future.
func (f *apiKeyForm) Validate(now time.Time) views.APIKeyFormErrors {
	var e views.APIKeyFormErrors
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		e.Name = "Give the key a name."
	case n > 100 || !utf8.ValidString(f.Name):
		e.Name = "A key's name may be at most 100 characters."
	case strings.ContainsFunc(f.Name, func(r rune) bool { return !unicode.IsPrint(r) }):
		e.Name = "A key's name may not hold control or invisible characters."
	}
	if f.Expires != "" {
		t, err := time.Parse("2006-01-02", f.Expires)
		switch {
		case err != nil:
			e.Expires = "Give the date as YYYY-MM-DD, or leave it empty."
		case !t.After(now):
			e.Expires = "The date must be in the future."
		default:
			f.expiresAt = t
		}
	}
	if e.Name != "" || e.Expires != "" {
		e.Form = "The key was not created: see below."
	}
	return e
}
