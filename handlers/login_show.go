package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

// loginShow shows the sign-in form, or sends a signed-in visitor on. A
// session that could not be checked is not sent on; its cookie is kept.
func (a *App) loginShow(c echo.Context) error {
	if s, _, _ := a.loadSession(c); s != nil {
		return c.Redirect(http.StatusSeeOther, listURL(s.Default))
	}
	p := views.LoginPage{Layout: a.layout(c, "Sign in"), CSRF: a.csrfToken(c)}
	q := c.QueryParams()
	switch {
	case q.Has("signed_out"):
		p.Notice = "You signed out."
	case q.Has("expired"):
		p.Notice = "Your session expired. Sign in again."
	case q.Has("rejected"):
		p.Notice = "The API no longer accepts the key of your session. Sign in again."
	}
	return a.render(c, http.StatusOK, views.LoginView(p))
}

func (a *App) loginError(c echo.Context, status int, msg string) error {
	return a.render(c, status, views.LoginView(views.LoginPage{
		Layout: a.layout(c, "Sign in"), CSRF: a.csrfToken(c), Error: msg,
	}))
}
