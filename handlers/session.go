package handlers

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"teamsecrets/cloud"
	"teamsecrets/views"
)

const sessionCookie = "ts_session"

// session is what the encrypted, authenticated session cookie holds, as
// JSON. The API key lives only here. Its JSON names are part of the cookie
// format: cookies made before a change must still decode.
type session struct {
	ID     string        `json:"i"`
	APIKey string        `json:"k"`
	User   string        `json:"u"`
	Teams  []sessionTeam `json:"t"` // the team in use first, then the others that fit (see fit)
	// More is set when the user has teams the cookie does not keep; they
	// are looked up from the API when visited, and listed at /teams.
	More    bool         `json:"m,omitempty"`
	Default string       `json:"d"` // slug of the team in use: the key's default, then the last visited
	Created int64        `json:"c"` // unix seconds
	Seen    int64        `json:"s"` // unix seconds of the last request
	Flash   sessionFlash `json:"f,omitzero"`
}

// sessionTeam is a team the session's key may act in, with its role there:
// as the cookie keeps it, and as a request acts in it. Its JSON names are
// those of the cookies from before it had its own type (they held
// cloud.Team).
type sessionTeam struct {
	ID   string `json:"ID"`
	Slug string `json:"Slug"`
	Name string `json:"Name"`
	Role string `json:"Role"`
}

// ReadOnly reports whether the role may only read names.
func (t sessionTeam) ReadOnly() bool { return cloud.Team(t).ReadOnly() }

// sessionFlash is a one-time message for the next page.
type sessionFlash struct {
	Kind    string `json:"Kind"` // "success", "info" or "error"
	Message string `json:"Message"`
}

// A browser keeps a cookie only if its name and value fit in 4,096 bytes.
// The session's JSON grows about 1.8 times on its way into the cookie
// (encryption, MAC, base64 twice: 2,150 bytes of JSON make 3,996), so the
// session is bounded by its JSON size, not by a count of teams.
const (
	maxCookieBytes = 4096 - len(sessionCookie) - 1
	sessionBudget  = 2150 // JSON bytes of the whole session
	// flashBudget stays free for the flash message: room for "Secret X
	// renamed to Y, with the new value." with two 255-byte names.
	flashBudget = 600
	// maxFlashName is where a name in a flash message is cut.
	maxFlashName = 255
	// maxLabel bounds a team name or user name kept for display.
	maxLabel = 255
)

func (s *session) team(slug string) (sessionTeam, bool) {
	for _, t := range s.Teams {
		if t.Slug == slug {
			return t, true
		}
	}
	return sessionTeam{}, false
}

// useTeam makes t the team in use: first in the cookie, where "/" returns.
func (s *session) useTeam(t sessionTeam) {
	t.Name = clip(t.Name, maxLabel)
	s.Teams = slices.DeleteFunc(s.Teams, func(k sessionTeam) bool { return k.Slug == t.Slug })
	s.Teams = slices.Insert(s.Teams, 0, t)
	s.Default = t.Slug
}

// fit bounds the session by bytes: it keeps the team in use and, in order,
// the other teams that fit the budget left after the fixed fields and the
// room kept for a flash message; it sets More when any is left out. The
// flash message is cut to its room.
func (s *session) fit() {
	if i := slices.IndexFunc(s.Teams, func(t sessionTeam) bool { return t.Slug == s.Default }); i > 0 {
		s.useTeam(s.Teams[i]) // cookies from before kept teams by slug
	}
	s.User = clip(s.User, maxLabel)
	teams, flash, more := s.Teams, s.Flash, s.More
	s.Teams, s.Flash, s.More = nil, sessionFlash{}, true
	room := sessionBudget - flashBudget - jsonSize(s)
	s.Teams, s.Flash, s.More = teams[:0], flash, more
	for i, t := range teams {
		t.Name = clip(t.Name, maxLabel)
		n := jsonSize(t) + 1 // and a comma
		if i > 0 && n > room {
			s.More = true
			continue
		}
		room -= n
		s.Teams = append(s.Teams, t)
	}
	if s.Flash.Message == "" {
		return
	}
	extra := jsonSize(s.Flash) + len(`,"f":`) - flashBudget - max(room, 0)
	for extra > 0 {
		s.Flash.Message = clip(s.Flash.Message, len(s.Flash.Message)-extra)
		extra = jsonSize(s.Flash) + len(`,"f":`) - flashBudget - max(room, 0)
	}
}

// clip cuts s to at most n bytes, on a character boundary, marking the cut
// with an ellipsis.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := max(n-len(ellipsis), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// flashName is a name as a flash message quotes it: cut at maxFlashName
// bytes, so a message names two secrets and still fits.
func flashName(name string) string { return clip(name, maxFlashName) }

// encodeJSON is how the session becomes cookie JSON: without HTML escaping,
// which would make '<' six bytes for nothing inside an encrypted cookie.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func jsonSize(v any) int {
	b, _ := encodeJSON(v)
	return len(b)
}

// newCookieStore makes the gorilla/sessions store. Every configured key can
// decode; the first encodes, so keys rotate without signing anyone out.
func newCookieStore(cfg Config) *sessions.CookieStore {
	var pairs [][]byte
	for _, k := range cfg.SessionKeys {
		hashKey, blockKey := deriveSessionKeys(k)
		pairs = append(pairs, hashKey, blockKey)
	}
	store := sessions.NewCookieStore(pairs...)
	store.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(cfg.MaxLifetime.Seconds()),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
	store.MaxAge(int(cfg.MaxLifetime.Seconds()))
	return store
}

func newSessionID() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// secure reports whether cookies for this request get the Secure flag.
func (a *App) secure(c echo.Context) bool { return a.overTLS(c.Request()) }

// overTLS reports whether the browser reached us over HTTPS: directly, or
// through a TLS-terminating proxy (--secure-cookies says so).
func (a *App) overTLS(r *http.Request) bool { return a.cfg.SecureCookies || r.TLS != nil }

// cookieSession is the session in the request's cookie, decoded once,
// whether or not it is still valid; empty when there is none.
func (a *App) cookieSession(c echo.Context) *session {
	st := state(c)
	if st.cookie != nil {
		return st.cookie
	}
	s := &session{}
	if raw, err := a.sessions.Get(c.Request(), sessionCookie); err == nil && !raw.IsNew {
		data, _ := raw.Values["v"].(string)
		if json.Unmarshal([]byte(data), s) != nil {
			s = &session{}
		}
	}
	st.cookie = s
	return s
}

// loadSession returns the request's valid session, or nil. An expired,
// revoked or undecodable cookie counts as none; expired says which. When
// the record of sign-outs could not be read, err is a *storeDown and s is
// nil: whether the session is still valid is not known, so it may not be
// used, and the cookie may not be cleared either (the session may well be
// valid once the store answers again).
func (a *App) loadSession(c echo.Context) (s *session, expired bool, err error) {
	st := state(c)
	if !st.loaded {
		st.session, st.expired, st.unchecked = a.validSession(c)
		st.loaded = true
	}
	return st.session, st.expired, st.unchecked
}

// validSession is a copy of the cookie's session if it is still valid.
// Expiry is judged from the cookie alone; only a session that has not
// expired is looked up among the sign-outs, for at most APITimeout.
func (a *App) validSession(c echo.Context) (s *session, expired bool, err error) {
	decoded := *a.cookieSession(c)
	s = &decoded
	if s.ID == "" || s.APIKey == "" {
		return nil, false, nil
	}
	now := a.now()
	if now.Sub(time.Unix(s.Created, 0)) > a.cfg.MaxLifetime || now.Sub(time.Unix(s.Seen, 0)) > a.cfg.IdleTimeout {
		return nil, true, nil
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), a.cfg.APITimeout)
	defer cancel()
	revoked, err := a.revoked.SessionRevoked(ctx, s.ID)
	if err != nil {
		// Fail closed: the session may have been signed out elsewhere.
		return nil, false, a.storeFailed(ctx, c, "check the session against the sign-outs", err)
	}
	if revoked {
		return nil, false, nil
	}
	// Refresh the idle clock at most once a minute, to spare a cookie write
	// on every request.
	if now.Sub(time.Unix(s.Seen, 0)) > time.Minute {
		s.Seen = now.Unix()
		changedSession(c)
	}
	return s, false, nil
}

// saveSession writes the session cookie, bounded to fit (see fit).
func (a *App) saveSession(c echo.Context, s *session) error {
	s.fit()
	data, err := encodeJSON(s)
	if err != nil {
		return err
	}
	encoded, err := a.sessions.Codecs[0].Encode(sessionCookie, map[any]any{"v": string(data)})
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	if limit := cmp.Or(a.cfg.maxCookieBytes, maxCookieBytes); len(encoded) > limit {
		return fmt.Errorf("save session: the cookie would be %d bytes, more than %d", len(encoded), limit)
	}
	opts := *a.sessions.Options
	opts.Secure = a.secure(c)
	c.SetCookie(sessions.NewCookie(sessionCookie, encoded, &opts))
	st := state(c)
	st.session, st.loaded, st.expired, st.unchecked, st.dirty = s, true, false, nil, false
	st.csrfSession = s.ID
	return nil
}

// saveIfDirty writes the cookie when the session changed during the request.
func (a *App) saveIfDirty(c echo.Context) error {
	st := state(c)
	if !st.dirty || st.session == nil {
		return nil
	}
	return a.saveSession(c, st.session)
}

// clearSession deletes the cookie in the browser.
func (a *App) clearSession(c echo.Context) {
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.secure(c),
	})
	st := state(c)
	st.session, st.loaded, st.expired, st.unchecked = nil, true, false, nil
	st.csrfSession = ""
}

// setFlash stores a message for the next page.
func (a *App) setFlash(c echo.Context, s *session, kind, msg string) error {
	s.Flash = sessionFlash{Kind: kind, Message: msg}
	return a.saveSession(c, s)
}

// popFlash takes the pending message, if any.
func (a *App) popFlash(c echo.Context, s *session) views.Flash {
	f := s.Flash
	if f.Message != "" {
		s.Flash = sessionFlash{}
		changedSession(c)
	}
	return views.Flash{Kind: f.Kind, Message: f.Message}
}
