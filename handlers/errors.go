package handlers

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"teamsecrets/cloud"
	"teamsecrets/views"
)

// A failed request ends in one place: handlers and middleware return an
// error, and httpError, echo's error handler, answers it. The error is one
// of:
//   - a *pageError, a page that says what went wrong, as it is;
//   - a failed API call (a *cloud.Error): a key no longer accepted sends
//     the visitor to sign in, anything else gets the page apiPage words;
//   - one of echo's own (404, 405, 413);
//   - anything else, a bug: a 500 page, and the error in the log.
//
// Handlers show a failure themselves only where it belongs on their own
// page: a form shown again with a banner (formError), the sign-in form,
// the import results. All of them report failed API calls through
// apiFailed: the status comes from apiStatus, the log line and Retry-After
// from apiFailed, and nowhere else.

// pageError is a page that says what went wrong.
type pageError struct {
	Status    int
	Title     string // of the window; Heading when empty
	Heading   string
	Message   string
	Detail    string // an extra sentence, e.g. both names exist after a failed rename
	BackURL   string // default: the team's secrets, or the start
	BackLabel string

	// tryAgain links back to the request (or, after a form, to the list)
	// rather than away from it: the API may answer next time.
	tryAgain   bool
	retryAfter time.Duration
}

func (e *pageError) Error() string { return e.Heading + ": " + e.Message }

// notFound is the page of a secret the team does not have.
func notFound(msg string) *pageError {
	return &pageError{Status: http.StatusNotFound, Heading: "Secret not found", Message: msg}
}

var (
	errBadName  = notFound("That address does not name a secret.")
	errNoTeam   = &pageError{Status: http.StatusNotFound, Heading: "Team not found", Message: "You are not a member of a team with that address."}
	errReadOnly = &pageError{Status: http.StatusForbidden, Heading: "Read-only access",
		Message: "You have read-only access to this team: you can see secret names, but not add, rotate or delete secrets."}
	errForgedForm = &pageError{Status: http.StatusForbidden, Heading: http.StatusText(http.StatusForbidden),
		Message: "The form could not be verified: it expired or came from another site. Go back, reload the page and try again."}
)

// apiStatus is the status the UI answers a failed API call with.
func apiStatus(err error) int {
	switch {
	case errors.Is(err, cloud.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, cloud.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, cloud.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, cloud.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, cloud.ErrBadInput):
		return http.StatusUnprocessableEntity
	case errors.Is(err, cloud.ErrUnreachable), errors.Is(err, cloud.ErrRateLimited):
		return http.StatusServiceUnavailable
	case errors.Is(err, cloud.ErrTimeout):
		return http.StatusGatewayTimeout
	default: // failed, answered nonsense, or anything else
		return http.StatusBadGateway
	}
}

// apiFailure is a failed API call as the UI reports it.
type apiFailure struct {
	status     int
	message    string // what happened, safe to show: never a value or a key
	retryAfter time.Duration
}

// apiFailed decides how a failed API call is reported, logs it and tells
// the browser when to try again: the one place for all three. A call cut
// short because the visitor left is no failure of the API: not logged.
func (a *App) apiFailed(c echo.Context, err error) apiFailure {
	f := apiFailure{status: apiStatus(err), message: "The secrets API call failed."}
	attempts, cause := 0, err
	var apiErr *cloud.Error
	if errors.As(err, &apiErr) {
		f.message, f.retryAfter, attempts, cause = apiErr.Message, apiErr.RetryAfter, apiErr.Attempts, apiErr.Err
	}
	if !clientGone(c, err) {
		a.log.WarnContext(c.Request().Context(), "api call failed",
			"route", c.Path(), "status", f.status, "attempts", attempts, "err", cause)
	}
	if f.retryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(f.retryAfter.Seconds())))
	}
	return f
}

// apiPage is the page of a failed API call. (A key the API no longer
// accepts gets no page: httpError sends the visitor to sign in.)
func (a *App) apiPage(c echo.Context, err error) *pageError {
	f := a.apiFailed(c, err)
	switch {
	case errors.Is(err, cloud.ErrForbidden):
		return &pageError{Status: f.status, Heading: "Not allowed", Message: f.message}
	case errors.Is(err, cloud.ErrNotFound):
		return &pageError{Status: f.status, Heading: "Secret not found", Message: f.message}
	}
	detail := "Nothing was changed. Try again in a moment."
	if f.retryAfter > 0 {
		detail = "Nothing was changed." // the page says when to try again
	}
	return &pageError{
		Status: f.status, Title: "Secrets API unavailable", Heading: "The secrets API is unavailable",
		Message: f.message, Detail: detail, tryAgain: true, retryAfter: f.retryAfter,
	}
}

// formError words a failed API call as the banner of a form shown again,
// with the status to answer. ok is false for failures that get a page of
// their own (sign in again, 403, 404, the visitor gone): return err then.
func (a *App) formError(c echo.Context, err error) (status int, banner string, ok bool) {
	var apiErr *cloud.Error
	if !errors.As(err, &apiErr) || errors.Is(err, cloud.ErrUnauthenticated) || errors.Is(err, cloud.ErrForbidden) ||
		errors.Is(err, cloud.ErrNotFound) || errors.Is(err, cloud.ErrCanceled) {
		return 0, "", false
	}
	f := a.apiFailed(c, err)
	if errors.Is(err, cloud.ErrBadInput) {
		return f.status, "The API refused the secret: " + f.message, true
	}
	return f.status, f.message + " Nothing was saved; try again in a moment.", true
}

// clientGone reports whether err comes of the visitor leaving: their
// request was cancelled.
func clientGone(c echo.Context, err error) bool {
	return errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil
}

// httpError is echo's error handler: it answers every failed request (see
// the top of this file), unless the visitor left: nobody would read the
// page.
func (a *App) httpError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var p *pageError
	var apiErr *cloud.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &p):
	case errors.As(err, &apiErr):
		if errors.Is(err, cloud.ErrUnauthenticated) {
			a.apiFailed(c, err)
			a.signInAgain(c)
			return
		}
		p = a.apiPage(c, err)
	case errors.As(err, &he):
		p = echoPage(he)
		if he.Code >= 500 {
			a.log.ErrorContext(c.Request().Context(), "request failed", "route", c.Path(), "err", err)
		}
	default:
		if !clientGone(c, err) {
			a.log.ErrorContext(c.Request().Context(), "request failed", "route", c.Path(), "err", err)
		}
		p = &pageError{Status: http.StatusInternalServerError, Heading: http.StatusText(http.StatusInternalServerError),
			Message: "Something went wrong on our side. The server log has details."}
	}
	if c.Request().Context().Err() != nil {
		return // the visitor left
	}
	if rerr := a.renderError(c, p); rerr != nil {
		a.log.ErrorContext(c.Request().Context(), "error page failed", "route", c.Path(), "err", rerr)
		c.String(p.Status, p.Message)
	}
}

// echoPage words echo's own errors: no route, wrong method, body too large.
func echoPage(he *echo.HTTPError) *pageError {
	p := &pageError{Status: he.Code, Heading: http.StatusText(he.Code),
		Message: "Something went wrong on our side. The server log has details."}
	switch he.Code {
	case http.StatusNotFound:
		p.Message = "There is no page at this address."
	case http.StatusMethodNotAllowed:
		p.Message = "This address does not accept that kind of request."
	case http.StatusRequestEntityTooLarge:
		p.Message = "The form was too large to accept (the limit is 256 KiB; a value may be at most 64 KiB). Nothing was saved."
	default:
		if m, ok := he.Message.(string); ok && he.Code < 500 {
			p.Message = m
		}
	}
	return p
}

// signInAgain ends a session whose key the API stopped accepting.
func (a *App) signInAgain(c echo.Context) {
	if s := sessionOf(c); s != nil {
		a.revoke(c, s.ID, a.now().Add(a.cfg.MaxLifetime))
	}
	a.clearSession(c)
	c.Redirect(http.StatusSeeOther, "/login?rejected=1")
}

// renderError renders an error page, with a way back.
func (a *App) renderError(c echo.Context, e *pageError) error {
	p := views.ErrorPage{
		Layout: a.layout(c, cmp.Or(e.Title, e.Heading)), Status: e.Status,
		Heading: e.Heading, Message: e.Message, Detail: e.Detail,
		BackURL: e.BackURL, BackLabel: e.BackLabel, RetryAfter: int(e.retryAfter.Seconds()),
	}
	team := teamOf(c)
	switch {
	case p.BackURL != "":
	case e.tryAgain:
		if team.Slug != "" {
			p.BackURL, p.BackLabel = c.Request().URL.RequestURI(), "Try again"
			if c.Request().Method != http.MethodGet {
				p.BackURL = listURL(team.Slug)
			}
		}
	case team.Slug != "":
		p.BackURL, p.BackLabel = listURL(team.Slug), "Back to the secrets of "+team.Name
	default:
		p.BackURL, p.BackLabel = "/", "Back to the start"
	}
	return a.render(c, e.Status, views.ErrorView(p))
}
