package handlers

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"teamsecrets/cloud"
)

// home sends visitors to their default team's secrets, or to sign in.
func (a *App) home(c echo.Context) error {
	s, expired := a.loadSession(c)
	if s == nil {
		if expired {
			a.clearSession(c)
			return c.Redirect(http.StatusSeeOther, "/login?expired=1")
		}
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	if err := a.saveIfDirty(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, listURL(s.Default))
}

func sortTeams(ts []cloud.Team) {
	slices.SortFunc(ts, func(a, b cloud.Team) int { return strings.Compare(a.Slug, b.Slug) })
}
