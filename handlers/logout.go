package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// logout ends the session: the cookie is cleared and its id refused from
// now on, so a copy of the old cookie no longer works; the form token is
// renewed.
func (a *App) logout(c echo.Context) error {
	if s, _ := a.loadSession(c); s != nil {
		a.revoke(c, s.ID, time.Unix(s.Created, 0).Add(a.cfg.MaxLifetime))
	}
	a.clearSession(c)
	a.renewCSRF(c)
	return c.Redirect(http.StatusSeeOther, "/login?signed_out=1")
}
