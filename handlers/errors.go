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
//   - a *storeDown: the store behind the sessions did not answer, so a
//     session could not be checked or a sign-out recorded (storePage);
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
	// signOutForm shows the header's sign-out form though the session was
	// not verified: after a sign-out that could not be recorded, so that
	// the visitor can try again.
	signOutForm bool
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
	var down *storeDown
	var he *echo.HTTPError
	switch {
	case errors.As(err, &p):
	case errors.As(err, &down):
		p = a.storePage(c, down)
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

// signInAgain ends a session whose key the API stopped accepting. The
// cookie is cleared even if the sign-out cannot be recorded: the key in it
// no longer works anyway.
func (a *App) signInAgain(c echo.Context) {
	if s := sessionOf(c); s != nil {
		if err := a.revoke(c, s.ID, a.now().Add(a.cfg.MaxLifetime)); err != nil {
			a.log.WarnContext(c.Request().Context(), "session revocation not recorded; the cookie is cleared, its key no longer works", "err", err)
		}
	}
	a.clearSession(c)
	c.Redirect(http.StatusSeeOther, "/login?rejected=1")
}

// storeDown is the store behind the sessions (the record of sign-outs: in
// memory, or the database instances share) failing to answer. Nothing was
// decided on a session it could not check, and no cookie was cleared: the
// visitor is still signed in once the store is back.
type storeDown struct {
	what     string // what was being done, for the log
	signOut  bool   // a sign-out could not be recorded
	timedOut bool   // no answer within APITimeout
	err      error
}

func (e *storeDown) Error() string { return e.what + ": " + e.err.Error() }
func (e *storeDown) Unwrap() error { return e.err }

// storeFailed is a failed call to the store made under ctx (which bounds it
// by APITimeout): a *storeDown, or the request's own error when the visitor
// left (nothing to report then).
func (a *App) storeFailed(ctx context.Context, c echo.Context, what string, err error) error {
	if rerr := c.Request().Context().Err(); rerr != nil {
		return rerr
	}
	return &storeDown{what: what, err: err, timedOut: errors.Is(ctx.Err(), context.DeadlineExceeded)}
}

// storePage is the page of a *storeDown: 503, or 504 when the store did not
// answer in time; logged here, once.
func (a *App) storePage(c echo.Context, e *storeDown) *pageError {
	status, heading, state := http.StatusServiceUnavailable, "The secrets store is not answering", "is not answering"
	if e.timedOut {
		status, heading, state = http.StatusGatewayTimeout, "The secrets store did not answer in time", "did not answer in time"
	}
	a.log.WarnContext(c.Request().Context(), "store call failed", "route", c.Path(), "status", status, "what", e.what, "err", e.err)
	if e.signOut {
		return &pageError{Status: status, Heading: "Sign-out not recorded",
			Message: "Your sign-out could not be recorded: the secrets store " + state + ".",
			Detail:  "You are still signed in. Sign out again in a moment.",
			BackURL: "/", BackLabel: "Back to the start",
			signOutForm: true,
		}
	}
	p := &pageError{Status: status, Title: "Secrets store unavailable", Heading: heading,
		Message: "The secrets store " + state + ". Try again in a moment.",
		Detail:  "Nothing was changed, and you are still signed in.",
		BackURL: "/", BackLabel: "Back to the start",
	}
	if c.Request().Method == http.MethodGet {
		p.BackURL, p.BackLabel = c.Request().URL.RequestURI(), "Try again"
	}
	return p
}

// renderError renders an error page, with a way back.
func (a *App) renderError(c echo.Context, e *pageError) error {
	l := a.layout(c, cmp.Or(e.Title, e.Heading))
	if e.signOutForm {
		l.SignedIn = true // the form alone: nothing of the unverified session is shown
	}
	p := views.ErrorPage{
		Layout: l, Status: e.Status,
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
