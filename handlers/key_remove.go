package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiKeyRemove revokes the key after confirmation. Revoking the key this
// session signed in with ends the session: the next page asks the API,
// which refuses the key, and that sends the visitor to sign in.
func (a *App) apiKeyRemove(c echo.Context) error {
	s, team := sessionOf(c), teamOf(c)
	id := keyIDParam(c)
	if id == "" {
		return errNoKey
	}
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	revoked, err := a.api.DeleteAPIKey(ctx, id)
	if err != nil {
		return err
	}
	kind, msg := "success", "API key revoked: it is refused from its next request."
	if !revoked {
		kind, msg = "info", "That key was already revoked, or is not one you may revoke."
	}
	if err := a.setFlash(c, s, kind, msg); err != nil {
		a.log.ErrorContext(c.Request().Context(), "session not saved after a key revoke", "route", c.Path(), "err", err)
	}
	return c.Redirect(http.StatusSeeOther, keysURL(team.Slug))
}
