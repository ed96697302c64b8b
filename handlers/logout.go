package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// logout ends the session: its id is refused from now on, so a copy of
// the old cookie no longer works; then the cookie is cleared and the form
// token renewed. The id is taken from the cookie as it is (not checked
// against the sign-outs, which may be what cannot be read), and the
// sign-out is always recorded. When it cannot be, nothing else is done:
// the page says so, and the visitor is still signed in to try again.
func (a *App) logout(c echo.Context) error {
	if s := a.cookieSession(c); s.ID != "" {
		if err := a.revoke(c, s.ID, time.Unix(s.Created, 0).Add(a.cfg.MaxLifetime)); err != nil {
			return err
		}
	}
	a.clearSession(c)
	a.renewCSRF(c)
	return c.Redirect(http.StatusSeeOther, "/login?signed_out=1")
}
