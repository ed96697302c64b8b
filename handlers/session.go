package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"teamsecrets/cloud"
	"teamsecrets/views"
)

const sessionCookie = "ts_session"

// session is what the encrypted, authenticated session cookie holds. The API
// key lives only here.
type session struct {
	ID      string       `json:"i"`
	APIKey  string       `json:"k"`
	User    string       `json:"u"`
	Teams   []cloud.Team `json:"t"`
	Default string       `json:"d"` // slug of the team in use: the key's default, then the last visited
	Created int64        `json:"c"` // unix seconds
	Seen    int64        `json:"s"` // unix seconds of the last request
	Flash   views.Flash  `json:"f"`
}

// maxSessionTeams bounds the teams kept in the cookie (browsers cap a cookie
// at 4 KB). Teams beyond it are looked up from the API when visited.
const maxSessionTeams = 20

func (s *session) team(slug string) (cloud.Team, bool) {
	for _, t := range s.Teams {
		if t.Slug == slug {
			return t, true
		}
	}
	return cloud.Team{}, false
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
func (a *App) secure(c echo.Context) bool {
	return a.cfg.SecureCookies || c.Request().TLS != nil
}

// loadSession returns the request's valid session, or nil. An expired,
// revoked or undecodable cookie counts as none; expired says which.
func (a *App) loadSession(c echo.Context) (s *session, expired bool) {
	if v, ok := c.Get("session").(*session); ok {
		return v, false
	}
	raw, err := a.sessions.Get(c.Request(), sessionCookie)
	if err != nil || raw.IsNew {
		return nil, false
	}
	data, _ := raw.Values["v"].(string)
	s = &session{}
	if json.Unmarshal([]byte(data), s) != nil || s.ID == "" || s.APIKey == "" {
		return nil, false
	}
	now := a.now()
	if a.revoked.has(s.ID) {
		return nil, false
	}
	if now.Sub(time.Unix(s.Created, 0)) > a.cfg.MaxLifetime || now.Sub(time.Unix(s.Seen, 0)) > a.cfg.IdleTimeout {
		return nil, true
	}
	c.Set("session", s)
	// Refresh the idle clock at most once a minute, to spare a cookie write
	// on every request.
	if now.Sub(time.Unix(s.Seen, 0)) > time.Minute {
		s.Seen = now.Unix()
		c.Set("session-dirty", true)
	}
	return s, false
}

// saveSession writes the session cookie.
func (a *App) saveSession(c echo.Context, s *session) error {
	raw, _ := a.sessions.New(c.Request(), sessionCookie)
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	raw.Values["v"] = string(data)
	opts := *a.sessions.Options
	opts.Secure = a.secure(c)
	raw.Options = &opts
	c.Set("session", s)
	c.Set("session-dirty", false)
	return raw.Save(c.Request(), c.Response())
}

// saveIfDirty writes the cookie when the session changed during the request.
func (a *App) saveIfDirty(c echo.Context) error {
	if dirty, _ := c.Get("session-dirty").(bool); !dirty {
		return nil
	}
	s, _ := c.Get("session").(*session)
	if s == nil {
		return nil
	}
	return a.saveSession(c, s)
}

// clearSession deletes the cookie in the browser.
func (a *App) clearSession(c echo.Context) {
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.secure(c),
	})
	c.Set("session", (*session)(nil))
}

// setFlash stores a message for the next page.
func (a *App) setFlash(c echo.Context, s *session, kind, msg string) error {
	s.Flash = views.Flash{Kind: kind, Message: msg}
	return a.saveSession(c, s)
}

// popFlash takes the pending message, if any.
func (a *App) popFlash(c echo.Context, s *session) views.Flash {
	f := s.Flash
	if f.Message != "" {
		s.Flash = views.Flash{}
		c.Set("session-dirty", true)
	}
	return f
}

// revocations remembers signed-out session ids until they would have
// expired anyway, so a copied cookie stops working at sign-out.
type revocations struct {
	mu  sync.Mutex
	ids map[string]time.Time // id -> when it can be forgotten
	now func() time.Time
}

func newRevocations(now func() time.Time) *revocations {
	return &revocations{ids: map[string]time.Time{}, now: now}
}

func (r *revocations) add(id string, until time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for k, t := range r.ids {
		if now.After(t) {
			delete(r.ids, k)
		}
	}
	r.ids[id] = until
}

func (r *revocations) has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.ids[id]
	return ok
}
