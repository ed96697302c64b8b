package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"teamsecrets/rules"
)

// secretExists answers app.js before it submits the add form: does the team
// have a secret by this name? With the answer the form asks for the
// overwrite confirmation in place, and the value typed stays in the page.
// It reads names only, through the same client call the save makes; a GET
// changes nothing, so it needs no CSRF token. Without JavaScript nothing
// calls it: the save answers a taken name with the confirmation page.
func (a *App) secretExistsJSON(c echo.Context) error {
	s, team := sessionOf(c), teamOf(c)
	name := strings.TrimSpace(c.QueryParam("name"))
	if rules.ValidateName(name) != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "not a valid secret name"})
	}
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	exists, err := a.secretExists(ctx, name)
	if err != nil {
		f := a.apiFailed(c, err)
		return c.JSON(f.status, map[string]string{"error": f.message})
	}
	return c.JSON(http.StatusOK, map[string]bool{"exists": exists})
}
