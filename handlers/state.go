package handlers

import (
	"context"

	"github.com/labstack/echo/v4"
)

// reqState is what one request learns on its way through the middleware:
// its session, its team, what its form token is made of. It lives in the
// request's context under one key; read it through the functions below.
type reqState struct {
	cookie  *session // the session cookie as decoded, valid or not; nil until read
	session *session // the request's valid session; nil for none
	loaded  bool     // session was looked for (or set by a save or a clear)
	expired bool     // there was a session cookie, but it expired
	// unchecked is why the cookie's session could not be checked against
	// the sign-outs (a *storeDown): it is neither valid nor cleared.
	unchecked error
	dirty     bool // the session changed: save it before the answer goes out

	team sessionTeam // the team of the URL (teamScope), or the one in use (/teams)

	csrfSeed    string // the browser's ts_csrf cookie, or the one just given
	csrfSession string // id of the session the form token is tied to
}

type stateKey struct{}

// state is the request's state, made on first use.
func state(c echo.Context) *reqState {
	r := c.Request()
	if st, ok := r.Context().Value(stateKey{}).(*reqState); ok {
		return st
	}
	st := &reqState{}
	c.SetRequest(r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
	return st
}

// sessionOf is the request's valid session, once requireSession or
// loadSession found it; nil otherwise.
func sessionOf(c echo.Context) *session { return state(c).session }

// teamOf is the team the request acts in; empty outside a team's pages.
func teamOf(c echo.Context) sessionTeam { return state(c).team }

// changedSession marks the session to be saved before the answer goes out.
func changedSession(c echo.Context) { state(c).dirty = true }
