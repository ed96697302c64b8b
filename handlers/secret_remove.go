package handlers

import (
	"fmt"

	"github.com/labstack/echo/v4"
)

// secretRemove deletes the secret after confirmation.
func (a *App) secretRemove(c echo.Context) error {
	s, team := sessionOf(c), teamOf(c)
	name, ok := nameParam(c)
	if !ok {
		return errBadName
	}
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	found, err := a.api.DeleteSecret(ctx, name)
	if err != nil {
		return err
	}
	kind, msg := "success", fmt.Sprintf("Secret %s deleted.", flashName(name))
	if !found {
		kind, msg = "info", fmt.Sprintf("Secret %s was already deleted.", flashName(name))
	}
	return a.wrote(c, kind, msg)
}
