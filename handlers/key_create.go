package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

// apiKeyCreate shows the form for a new key.
func (a *App) apiKeyCreate(c echo.Context) error {
	return a.renderKeyForm(c, http.StatusOK, apiKeyForm{}, views.APIKeyFormErrors{})
}

func (a *App) renderKeyForm(c echo.Context, status int, f apiKeyForm, errs views.APIKeyFormErrors) error {
	team := teamOf(c)
	return a.render(c, status, views.APIKeyFormView(views.APIKeyFormPage{
		Layout: a.layout(c, "Create an API key"), CSRF: a.csrfToken(c),
		Action: keysURL(team.Slug), CancelURL: keysURL(team.Slug),
		Name: f.Name, Expires: f.Expires, ForTeam: f.ForTeam,
		MinDate: a.cfg.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02"),
		TeamKey: team.Role == "TENANT_ADMIN",
		Errors:  errs,
	}))
}
