package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// home sends visitors to the secrets of the team they use (requireSession
// sends the others to sign in).
func (a *App) home(c echo.Context) error {
	s := sessionOf(c)
	if err := a.saveIfDirty(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, listURL(s.Default))
}
