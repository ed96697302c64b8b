package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"teamsecrets/cloud"
)

// loginSave checks an API key with the API and starts a session. Every
// attempt is counted against the client's address before the API is asked;
// only a key the API accepts (or could not judge) is given back.
func (a *App) loginSave(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), a.cfg.APITimeout)
	defer cancel()
	attempt, wait := a.logins.Begin(ctx, c.RealIP())
	if attempt == nil {
		if a.cfg.Metrics != nil {
			a.cfg.Metrics.SignInRefused()
		}
		secs := int(wait.Seconds() + 0.999)
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		return a.loginError(c, http.StatusTooManyRequests,
			fmt.Sprintf("Too many failed sign-ins from your address. Try again in %d s.", secs))
	}
	key := strings.TrimSpace(c.FormValue("key"))
	if key == "" {
		attempt.Succeeded() // nothing was guessed
		return a.loginError(c, http.StatusUnprocessableEntity, "Enter an API key.")
	}
	ctx, cancel = a.apiContext(c.Request().Context(), key, "")
	defer cancel()
	id, err := a.api.Identify(ctx)
	if errors.Is(err, cloud.ErrUnauthenticated) {
		attempt.Failed()
		return a.loginError(c, http.StatusUnauthorized, "That API key was not accepted.")
	}
	attempt.Succeeded() // accepted, or not judged: the API could not answer
	switch {
	case errors.Is(err, cloud.ErrCanceled):
		return err // the visitor left
	case err != nil:
		f := a.apiFailed(c, err)
		return a.loginError(c, f.status, f.message+" Try again in a moment.")
	}
	if len(id.Teams) == 0 {
		return a.loginError(c, http.StatusForbidden, "This key is not a member of any team.")
	}
	s := newSession(key, id, a.now().Unix())
	a.renewCSRF(c)
	if err := a.setFlash(c, s, "success", "Signed in as "+displayUser(s)+"."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, listURL(s.Default))
}

// newSession starts a session for an identified key: the default team in
// use, the others after it (saving keeps as many as fit).
func newSession(key string, id cloud.Identity, now int64) *session {
	s := &session{ID: newSessionID(), APIKey: key, User: id.Username, Created: now, Seen: now}
	def := id.Teams[0]
	for _, t := range id.Teams {
		s.Teams = append(s.Teams, sessionTeam(t))
		if t.ID == id.DefaultTeamID {
			def = t
		}
	}
	s.useTeam(sessionTeam(def))
	return s
}

func displayUser(s *session) string {
	if s.User == "" {
		return "a team key"
	}
	return s.User
}
