package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"teamsecrets/cloud"
)

// csp allows only this origin's stylesheet and script: no inline code.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// routeSeen tells the metrics the pattern of the route echo matched (it
// routes before its middleware runs), or "" when it matched none (a 404,
// whatever pattern echo has then).
func (a *App) routeSeen(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if p := c.Path(); a.routePaths[p] {
			a.cfg.Metrics.Route(c.Request().Context(), p)
		}
		return next(c)
	}
}

// securityHeaders go on every response.
func (a *App) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a.setSecurityHeaders(c.Response().Header(), c.Request())
		return next(c)
	}
}

// hsts keeps browsers on HTTPS for a year once they reached the UI over it.
// Not includeSubDomains: other hosts of the domain are not ours to decide.
const hsts = "max-age=31536000"

func (a *App) setSecurityHeaders(h http.Header, r *http.Request) {
	setSecurityHeaders(h, a.overTLS(r))
}

func setSecurityHeaders(h http.Header, overTLS bool) {
	if overTLS {
		h.Set("Strict-Transport-Security", hsts)
	}
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
}

// SecurityHeaders wraps a whole server, so that every response carries the
// security headers: the API's, /healthz and the router's own redirects
// too. secureCookies means TLS ends at a proxy in front (HSTS then too).
func SecurityHeaders(h http.Handler, secureCookies bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header(), secureCookies || r.TLS != nil)
		h.ServeHTTP(w, r)
	})
}

// noStore keeps pages out of every cache: they show who is signed in and
// what their team holds.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// headAsGet answers HEAD like GET, without the body: echo routes GET only,
// so the request goes through as a GET and what it writes is dropped.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		get := r.Clone(context.WithValue(r.Context(), headRequest{}, true))
		get.Method = http.MethodGet
		next.ServeHTTP(bodyless{w}, get)
	})
}

// headRequest marks, in its context, a HEAD request served as a GET.
type headRequest struct{}

func methodOf(r *http.Request) string {
	if head, _ := r.Context().Value(headRequest{}).(bool); head {
		return http.MethodHead
	}
	return r.Method
}

// bodyless drops the body of a response to HEAD.
type bodyless struct{ http.ResponseWriter }

func (w bodyless) Write(p []byte) (int, error) { return len(p), nil }
func (w bodyless) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bodyLimit answers 413 with a readable page.
var bodyLimit = middleware.BodyLimit("256K")

// requestLog writes one line per request: route pattern, status, duration.
// Never the query string, form, cookies or headers. A request whose visitor
// left before the answer has status 0 and client_gone: nothing was sent.
func (a *App) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		level := slog.LevelInfo
		status := c.Response().Status
		gone := !c.Response().Committed && c.Request().Context().Err() != nil
		if gone {
			status = 0
		}
		if status >= 500 {
			level = slog.LevelError
		}
		attrs := []slog.Attr{
			slog.String("method", methodOf(c.Request())),
			slog.String("route", c.Path()),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.Int64("bytes", c.Response().Size),
		}
		if gone {
			attrs = append(attrs, slog.Bool("client_gone", true))
		}
		a.log.LogAttrs(c.Request().Context(), level, "request", attrs...)
		return nil
	}
}

const csrfCookie = "ts_csrf"

// csrf protects every state-changing request. Browsers that send
// Sec-Fetch-Site are judged by it: same-origin (or none: typed by the user)
// passes, cross-site is refused. Other requests need the form token: an
// HMAC of the browser's ts_csrf cookie and of its session's id. Both are
// renewed at sign-in and sign-out, so the token is too, and a token made
// for one session does not pass in another, even with its cookie planted.
func (a *App) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		st := state(c)
		if k, err := c.Cookie(csrfCookie); err == nil && len(k.Value) >= 24 {
			st.csrfSeed = k.Value
		} else {
			a.renewCSRF(c)
		}
		st.csrfSession = a.cookieSession(c).ID
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		switch c.Request().Header.Get("Sec-Fetch-Site") {
		case "same-origin", "none":
			return next(c)
		case "cross-site":
			return errForgedForm
		}
		if !a.validCSRF(c, c.FormValue("_csrf")) {
			return errForgedForm
		}
		return next(c)
	}
}

// renewCSRF gives the browser a new ts_csrf cookie, so the form tokens of
// before no longer pass.
func (a *App) renewCSRF(c echo.Context) {
	b := make([]byte, 24)
	rand.Read(b)
	seed := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{
		Name: csrfCookie, Value: seed, Path: "/", MaxAge: int(a.cfg.MaxLifetime.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: a.secure(c),
	})
	state(c).csrfSeed = seed
}

// csrfToken is the form token for this request's cookies.
func (a *App) csrfToken(c echo.Context) string {
	return base64.RawURLEncoding.EncodeToString(csrfMAC(a.csrfKeys[0], c))
}

// validCSRF checks a form token against every configured key, so tokens
// survive a key rotation like sessions do.
func (a *App) validCSRF(c echo.Context, token string) bool {
	got, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return false
	}
	for _, k := range a.csrfKeys {
		if hmac.Equal(got, csrfMAC(k, c)) {
			return true
		}
	}
	return false
}

func csrfMAC(key []byte, c echo.Context) []byte {
	st := state(c)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(st.csrfSeed))
	m.Write([]byte{0})
	m.Write([]byte(st.csrfSession))
	return m.Sum(nil)
}

// requireSession sends visitors without a valid session to sign in, saying
// so when their session expired. A session that could not be checked gets
// the error page, and keeps its cookie (see loadSession).
func (a *App) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s, expired, err := a.loadSession(c)
		if err != nil {
			return err
		}
		if s == nil {
			a.clearSession(c)
			to := "/login"
			if expired {
				to = "/login?expired=1"
			}
			return c.Redirect(http.StatusSeeOther, to)
		}
		return next(c)
	}
}

// teamScope resolves the team in the URL among the session's teams and
// makes it the team of every API call in the request.
func (a *App) teamScope(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s, _, _ := a.loadSession(c) // valid: requireSession ran
		slug := c.Param("slug")
		t, kept := s.team(slug)
		if !kept {
			// Teams beyond those kept in the cookie, or joined since sign-in.
			var found bool
			var err error
			t, found, err = a.lookupTeam(c, s, slug)
			if err != nil {
				return err
			}
			if !found {
				return errNoTeam
			}
		}
		state(c).team = t
		if s.Default != t.Slug || !kept {
			// "/" returns to the team in use, and the cookie keeps it.
			s.useTeam(t)
			changedSession(c)
		}
		return next(c)
	}
}

func (a *App) lookupTeam(c echo.Context, s *session, slug string) (sessionTeam, bool, error) {
	teams, err := a.allTeams(c, s)
	if err != nil {
		return sessionTeam{}, false, err
	}
	for _, t := range teams {
		if t.Slug == slug {
			return sessionTeam(t), true, nil
		}
	}
	return sessionTeam{}, false, nil
}

// allTeams asks the API for every team of the session's key.
func (a *App) allTeams(c echo.Context, s *session) ([]cloud.Team, error) {
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, "")
	defer cancel()
	id, err := a.api.Identify(ctx)
	return id.Teams, err
}

// requireWriter refuses write pages and actions to read-only members.
func (a *App) requireWriter(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if teamOf(c).ReadOnly() {
			return errReadOnly
		}
		return next(c)
	}
}
