package handlers

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"teamsecrets/cloud"
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

func teamLink(t cloud.Team, current string) views.TeamLink {
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
	s.Flash = views.Flash{}
	l := a.layout(c, "Change saved")
	c.Set("session-dirty", false) // it would fail again
	return a.render(c, http.StatusOK, views.NoticeView(views.NoticePage{
		Layout: l, Heading: "Change saved", Message: msg,
		BackURL: listURL(team.Slug), BackLabel: "Back to the secrets of " + team.Name,
	}))
}

// errorPage renders a page that says what went wrong.
func (a *App) errorPage(c echo.Context, status int, heading, msg, detail string) error {
	p := views.ErrorPage{Layout: a.layout(c, heading), Status: status, Heading: heading, Message: msg, Detail: detail}
	if t := teamOf(c); t.Slug != "" {
		p.BackURL, p.BackLabel = listURL(t.Slug), "Back to the secrets of "+t.Name
	} else {
		p.BackURL, p.BackLabel = "/", "Back to the start"
	}
	return a.render(c, status, views.ErrorView(p))
}

// apiFailure turns a failed API call into the right page: sign-in when the
// key stopped working, 403, 404, or an error page with a 502/503/504.
func (a *App) apiFailure(c echo.Context, err error) error {
	var apiErr *cloud.Error
	if !errors.As(err, &apiErr) {
		return err
	}
	a.log.WarnContext(c.Request().Context(), "api call failed",
		"route", c.Path(), "status", apiErr.Status, "attempts", apiErr.Attempts, "err", apiErr.Err)
	switch {
	case errors.Is(err, cloud.ErrUnauthenticated):
		if s := sessionOf(c); s != nil {
			a.revoked.add(s.ID, a.now().Add(a.cfg.MaxLifetime))
		}
		a.clearSession(c)
		return c.Redirect(http.StatusSeeOther, "/login?rejected=1")
	case errors.Is(err, cloud.ErrForbidden):
		return a.errorPage(c, http.StatusForbidden, "Not allowed", apiErr.Message, "")
	case errors.Is(err, cloud.ErrNotFound):
		return a.errorPage(c, http.StatusNotFound, "Secret not found", apiErr.Message, "")
	}
	p := views.ErrorPage{
		Layout: a.layout(c, "Secrets API unavailable"), Status: apiErr.Status,
		Heading: "The secrets API is unavailable", Message: apiErr.Message,
		Detail: "Nothing was changed. Try again in a moment.",
	}
	if t := teamOf(c); t.Slug != "" {
		p.BackURL, p.BackLabel = c.Request().URL.RequestURI(), "Try again"
		if c.Request().Method != http.MethodGet {
			p.BackURL = listURL(t.Slug)
		}
	}
	if apiErr.RetryAfter > 0 {
		p.RetryAfter = int(apiErr.RetryAfter.Seconds())
		c.Response().Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	return a.render(c, apiErr.Status, views.ErrorView(p))
}

// httpError renders echo's errors (404, 405, 413, CSRF 403, panics) as pages.
func (a *App) httpError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side. The server log has details."
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		switch status {
		case http.StatusNotFound:
			msg = "There is no page at this address."
		case http.StatusMethodNotAllowed:
			msg = "This address does not accept that kind of request."
		case http.StatusRequestEntityTooLarge:
			msg = "The form was too large to accept (the limit is 256 KiB; a value may be at most 64 KiB). Nothing was saved."
		default:
			if m, ok := he.Message.(string); ok && status < 500 {
				msg = m
			}
		}
	}
	if status >= 500 {
		a.log.ErrorContext(c.Request().Context(), "request failed", "route", c.Path(), "err", err)
	}
	heading := http.StatusText(status)
	if rerr := a.errorPage(c, status, heading, msg, ""); rerr != nil {
		c.String(status, msg)
	}
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
