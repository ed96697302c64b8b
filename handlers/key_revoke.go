package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

var errNoKey = &pageError{Status: http.StatusNotFound, Heading: "Key not found",
	Message: "There is no API key with that address that you may revoke."}

// apiKeyRevoke asks for confirmation; it works without JavaScript.
func (a *App) apiKeyRevoke(c echo.Context) error {
	s, team := sessionOf(c), teamOf(c)
	id := keyIDParam(c)
	if id == "" {
		return errNoKey
	}
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	keys, _, err := a.api.APIKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == id {
			name := k.Name
			if name == "" {
				name = "(no name)"
			}
			return a.render(c, http.StatusOK, views.APIKeyRevokeView(views.APIKeyRevokePage{
				Layout: a.layout(c, "Revoke "+name), CSRF: a.csrfToken(c), Name: name,
				Action: revokeKeyURL(team.Slug, id), CancelURL: keysURL(team.Slug),
			}))
		}
	}
	return errNoKey
}
