package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"teamsecrets/rules"
	"teamsecrets/views"
)

// secretRotate shows the rotate form: a blank value, never prefilled, and an
// optional new name.
func (a *App) secretRotate(c echo.Context) error {
	name, err := a.existingSecret(c)
	if err != nil {
		return err
	}
	return a.render(c, http.StatusOK, views.SecretFormView(a.rotatePage(c, rotateForm{Name: name}, views.FieldErrors{})))
}

// rotatePage is the rotate form's view model: the new name as typed, the
// value never.
func (a *App) rotatePage(c echo.Context, f rotateForm, errs views.FieldErrors) views.SecretFormPage {
	team := teamOf(c)
	return views.SecretFormPage{
		Layout: a.layout(c, "Rotate "+f.Name), CSRF: a.csrfToken(c), Rotate: true,
		Action: rotateURL(team.Slug, f.Name), CancelURL: listURL(team.Slug),
		Name: f.Name, NewName: f.NewName, ValueType: f.Value.Type, Errors: notKept(errs, f.Value),
		NoEnvVarWarning: f.NewName != "" && !rules.EnvOverridable(f.NewName),
	}
}

// existingSecret is the secret named in the URL, which the team must have.
func (a *App) existingSecret(c echo.Context) (string, error) {
	name, ok := nameParam(c)
	if !ok {
		return "", errBadName
	}
	s, team := sessionOf(c), teamOf(c)
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	exists, err := a.secretExists(ctx, name)
	if err != nil {
		return "", err
	}
	if !exists {
		return "", notFound("This team has no secret named " + name + ". It may have been deleted or renamed.")
	}
	return name, nil
}
