// Package handlers serves the Team → Secrets pages: one file per action,
// every route in routes.go, middleware in middleware.go.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/sessions"

	"teamsecrets/cloud"
	"teamsecrets/ratelimit"
)

// Config is what the UI needs to run.
type Config struct {
	API           *cloud.Client
	SessionKeys   [][]byte      // newest first; each signs and encrypts cookies
	SecureCookies bool          // Secure cookies even without TLS here (behind a TLS proxy)
	TrustProxy    bool          // take the client address from X-Forwarded-For
	IdleTimeout   time.Duration // sign out after this long without a request
	MaxLifetime   time.Duration // sign out this long after sign-in
	APITimeout    time.Duration // one page's API calls, retries included
	Logger        *slog.Logger
	LoginLimit    LoginLimit
	Now           func() time.Time // for tests; time.Now by default
	// Metrics hears the route each request took and the sign-ins
	// LoginLimit refused; nil: nothing is counted.
	Metrics Metrics

	// Shared by the instances behind one load balancer (the PostgreSQL
	// store provides both); nil: kept in this process's memory.
	Revocations  Revocations      // signed-out sessions
	SharedLimits ratelimit.Shared // failed sign-ins per address

	maxCookieBytes int // for tests: a smaller cookie limit than browsers have
}

// Metrics is what the server's metrics need of the UI (package metrics
// implements it).
type Metrics interface {
	// Route names the pattern of the route a request took (echo's, e.g.
	// /teams/:slug/secrets; "" for none), never its path.
	Route(ctx context.Context, pattern string)
	// SignInRefused counts a sign-in refused by LoginLimit.
	SignInRefused()
}

// LoginLimit bounds failed sign-ins per client address. Sign-ins waiting
// for the API's answer count too; a correct key gives back only its own.
type LoginLimit struct {
	Failures int           // allowed within Window
	Window   time.Duration // counted from the first attempt
}

// App holds what the handlers share.
type App struct {
	api      *cloud.Client
	cfg      Config
	log      *slog.Logger
	sessions *sessions.CookieStore
	revoked  Revocations
	csrfKeys [][]byte // newest first, derived from the session keys
	logins   *ratelimit.Failures
	// routePaths are the patterns of the routes (set once, in routes).
	routePaths map[string]bool
}

func (a *App) now() time.Time { return a.cfg.Now() }

// apiContext bounds the API calls made for one request and carries the
// session's key and team to the transport.
func (a *App) apiContext(ctx context.Context, apiKey, teamID string) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cloud.WithCredentials(ctx, apiKey, teamID), a.cfg.APITimeout)
}

// DefaultConfig holds the UI's defaults, the only place they are written:
// the command line offers them as its flags' defaults, and New fills a
// zero field of its Config from them.
func DefaultConfig() Config {
	return Config{
		IdleTimeout: 30 * time.Minute,
		MaxLifetime: 12 * time.Hour,
		APITimeout:  10 * time.Second,
		LoginLimit:  LoginLimit{Failures: 5, Window: time.Minute},
	}
}

// New builds the UI as an http.Handler.
func New(cfg Config) http.Handler {
	def := DefaultConfig()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = def.IdleTimeout
	}
	if cfg.MaxLifetime <= 0 {
		cfg.MaxLifetime = def.MaxLifetime
	}
	if cfg.APITimeout <= 0 {
		cfg.APITimeout = def.APITimeout
	}
	if cfg.LoginLimit.Failures <= 0 {
		cfg.LoginLimit = def.LoginLimit
	}
	if cfg.Revocations == nil {
		cfg.Revocations = newRevocations(cfg.Now)
	}
	var csrfKeys [][]byte
	for _, k := range cfg.SessionKeys {
		csrfKeys = append(csrfKeys, deriveCSRFKey(k))
	}
	a := &App{
		csrfKeys: csrfKeys,
		api:      cfg.API,
		cfg:      cfg,
		log:      cfg.Logger,
		sessions: newCookieStore(cfg),
		revoked:  cfg.Revocations,
		logins: ratelimit.New(ratelimit.Config{
			Limit: cfg.LoginLimit.Failures, Window: cfg.LoginLimit.Window, Now: cfg.Now,
			Shared: cfg.SharedLimits, Scope: "signin",
		}),
	}
	return a.routes()
}
