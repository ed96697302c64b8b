package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

// secretRotate shows the rotate form: a blank value, never prefilled, and an
// optional new name.
func (a *App) secretRotate(c echo.Context) error {
	name, answered, err := a.existingSecret(c)
	if answered {
		return err
	}
	return a.render(c, http.StatusOK, views.SecretFormView(a.formPage(c, secretForm{Name: name, Type: "text"}, true, views.FieldErrors{}, "")))
}

// existingSecret reads the name in the URL and checks the team has it. When
// answered is true it has already replied (404 or an API error page) and err
// is that reply's result.
func (a *App) existingSecret(c echo.Context) (name string, answered bool, err error) {
	name, ok := nameParam(c)
	if !ok {
		return "", true, a.badNamePage(c)
	}
	s, team := sessionOf(c), teamOf(c)
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	exists, err := a.secretExists(ctx, name)
	if err != nil {
		return "", true, a.apiFailure(c, err)
	}
	if !exists {
		return "", true, a.errorPage(c, http.StatusNotFound, "Secret not found",
			"This team has no secret named "+name+". It may have been deleted or renamed.", "")
	}
	return name, false, nil
}
