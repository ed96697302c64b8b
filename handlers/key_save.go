package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"teamsecrets/cloud"
	"teamsecrets/views"
)

// apiKeySave creates the key and shows it in this answer, once: no
// redirect (the key must not travel in a URL or wait in the session), and
// like every page no-store. It is never logged.
func (a *App) apiKeySave(c echo.Context) error {
	s, team := sessionOf(c), teamOf(c)
	f := newAPIKeyForm(c)
	if errs := f.Validate(a.cfg.Now()); errs.Form != "" {
		return a.renderKeyForm(c, http.StatusUnprocessableEntity, f, errs)
	}
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	nk := cloud.NewAPIKey{Name: f.Name, TeamID: team.ID, ExpiresAt: f.expiresAt}
	if !f.ForTeam {
		me, err := a.api.UserID(ctx)
		if err != nil {
			return err
		}
		nk.UserID = me
	}
	_, key, err := a.api.CreateAPIKey(ctx, nk)
	if err != nil {
		status, banner, ok := a.formError(c, err)
		if !ok {
			return err
		}
		return a.renderKeyForm(c, status, f, views.APIKeyFormErrors{Form: "The API refused the key: " + banner})
	}
	expires := ""
	if !f.expiresAt.IsZero() {
		expires = keyTime(f.expiresAt, "")
	}
	return a.render(c, http.StatusOK, views.APIKeyCreatedView(views.APIKeyCreatedPage{
		Layout: a.layout(c, "API key created"), Name: f.Name, Key: key, Expires: expires,
		ListURL: keysURL(team.Slug),
	}))
}
