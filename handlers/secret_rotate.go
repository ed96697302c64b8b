package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

// secretRotate shows the rotate form: a blank value, never prefilled, and an
// optional new name.
func (a *App) secretRotate(c echo.Context) error {
	name, err := a.existingSecret(c)
	if err != nil {
		return err
	}
	return a.render(c, http.StatusOK, views.SecretFormView(a.formPage(c, secretForm{Name: name, Type: "text"}, true, views.FieldErrors{}, "")))
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
