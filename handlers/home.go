package handlers

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"teamsecrets/cloud"
)

// home sends visitors to the secrets of the team they use (requireSession
// sends the others to sign in).
func (a *App) home(c echo.Context) error {
	s := sessionOf(c)
	if err := a.saveIfDirty(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, listURL(s.Default))
}

func sortTeams(ts []cloud.Team) {
	slices.SortFunc(ts, func(a, b cloud.Team) int { return strings.Compare(a.Slug, b.Slug) })
}
