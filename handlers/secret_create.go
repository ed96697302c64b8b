package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

// secretCreate shows the empty add form.
func (a *App) secretCreate(c echo.Context) error {
	return a.render(c, http.StatusOK, views.SecretFormView(a.formPage(c, secretForm{Type: "text"}, false, views.FieldErrors{}, "")))
}
