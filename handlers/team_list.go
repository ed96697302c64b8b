package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

// teamList shows every team of the signed-in key, asked from the API: the
// header's switcher links here when the session cookie cannot keep them all.
func (a *App) teamList(c echo.Context) error {
	s := sessionOf(c)
	teams, err := a.allTeams(c, s)
	if err != nil {
		return err
	}
	if t, ok := s.team(s.Default); ok {
		state(c).team = t // the header shows the team in use
	}
	p := views.TeamListPage{Layout: a.layout(c, "Your teams")}
	for _, t := range teams {
		p.Teams = append(p.Teams, teamLink(sessionTeam(t), s.Default))
	}
	return a.render(c, http.StatusOK, views.TeamListView(p))
}
