package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

// secretDelete asks for confirmation; it works without JavaScript.
func (a *App) secretDelete(c echo.Context) error {
	name, err := a.existingSecret(c)
	if err != nil {
		return err
	}
	team := teamOf(c)
	return a.render(c, http.StatusOK, views.SecretDeleteView(views.SecretDeletePage{
		Layout: a.layout(c, "Delete "+name), CSRF: a.csrfToken(c), Name: name,
		Action: deleteURL(team.Slug, name), CancelURL: listURL(team.Slug),
	}))
}
