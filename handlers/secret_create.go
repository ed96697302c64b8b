package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"teamsecrets/rules"
	"teamsecrets/views"
)

// secretCreate shows the empty add form.
func (a *App) secretCreate(c echo.Context) error {
	return a.render(c, http.StatusOK, views.SecretFormView(a.addPage(c, addForm{}, views.FieldErrors{})))
}

// addPage is the add form's view model: the name as typed, the value never.
func (a *App) addPage(c echo.Context, f addForm, errs views.FieldErrors) views.SecretFormPage {
	team := teamOf(c)
	return views.SecretFormPage{
		Layout: a.layout(c, "Add a secret"), CSRF: a.csrfToken(c),
		Action: listURL(team.Slug), CancelURL: listURL(team.Slug), ExistsURL: listURL(team.Slug) + "/exists",
		Name: f.Name, ValueType: f.Value.Type, Errors: notKept(errs, f.Value),
		NoEnvVarWarning: f.Name != "" && !rules.EnvOverridable(f.Name),
	}
}
