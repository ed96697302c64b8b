package handlers

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes a whole page: it renders to a buffer first, so a failure
// midway never sends half a page, and saves a changed session before the
// body goes out.
func (a *App) render(c echo.Context, status int, page templ.Component) error {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer buffers.Put(buf)
	if err := page.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	if err := a.saveIfDirty(c); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// layout is the frame of a page for the current request.
func (a *App) layout(c echo.Context, title string) views.Layout {
	l := views.Layout{Title: title, CSRF: a.csrfToken(c)}
	s := sessionOf(c)
	if s == nil {
		return l
	}
	l.SignedIn = true
	l.User = s.User
	if l.User == "" {
		l.User = "Team key"
	}
	current := teamOf(c)
	l.Team = views.TeamLink{Name: current.Name, Slug: current.Slug}
	if current.Slug != "" {
		l.KeysURL = keysURL(current.Slug)
		l.HistoryURL = a.historyLink(c, s, current)
	}
	teams := slices.Clone(s.Teams)
	sortTeams(teams)
	for _, t := range teams {
		l.Teams = append(l.Teams, teamLink(t, current.Slug))
	}
	if s.More {
		l.AllTeams = "/teams"
	}
	l.Switcher = len(l.Teams) > 1 || s.More
	l.Flash = a.popFlash(c, s)
	return l
}

func sortTeams(ts []sessionTeam) {
	slices.SortFunc(ts, func(a, b sessionTeam) int { return strings.Compare(a.Slug, b.Slug) })
}

func teamLink(t sessionTeam, current string) views.TeamLink {
	return views.TeamLink{Name: t.Name, Slug: t.Slug, URL: listURL(t.Slug), Current: t.Slug == current, ReadOnly: t.ReadOnly()}
}

// wrote ends a write that was made: its message goes through the session to
// the list page. Should the session not save, the message gets a page of its
// own, for a write that was made is never reported as failed.
func (a *App) wrote(c echo.Context, kind, msg string) error {
	s, team := sessionOf(c), teamOf(c)
	err := a.setFlash(c, s, kind, msg)
	if err == nil {
		return c.Redirect(http.StatusSeeOther, listURL(team.Slug))
	}
	a.log.ErrorContext(c.Request().Context(), "session not saved after a write", "route", c.Path(), "err", err)
	s.Flash = sessionFlash{}
	l := a.layout(c, "Change saved")
	state(c).dirty = false // it would fail again
	return a.render(c, http.StatusOK, views.NoticeView(views.NoticePage{
		Layout: l, Heading: "Change saved", Message: msg,
		BackURL: listURL(team.Slug), BackLabel: "Back to the secrets of " + team.Name,
	}))
}

// crossOriginDenied answers a cross-origin write refused by
// http.CrossOriginProtection, outside echo.
func (a *App) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	a.setSecurityHeaders(h, r)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	views.ErrorView(views.ErrorPage{
		Layout: views.Layout{Title: "Forbidden"}, Status: http.StatusForbidden, Heading: "Forbidden",
		Message: "This request came from another site and was refused. Nothing was changed.",
		BackURL: "/", BackLabel: "Back to the start",
	}).Render(r.Context(), w)
	a.log.Info("request", "method", r.Method, "route", "cross-origin", "status", http.StatusForbidden)
}
