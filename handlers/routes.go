package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"teamsecrets/clientaddr"
	"teamsecrets/static"
)

// MaxBodyBytes caps a form submission. A 64 KiB value, percent-encoded,
// fits with room to spare.
const MaxBodyBytes = 256 << 10

// routes lists every route of the UI. (GET /healthz and POST /graphql are
// mounted beside it by main.)
func (a *App) routes() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.httpError
	// One rule with the local API: the last hop the proxy appended.
	e.IPExtractor = func(r *http.Request) string { return clientaddr.Of(r, a.cfg.TrustProxy) }

	if a.cfg.Metrics != nil {
		e.Use(a.routeSeen)
	}
	e.Use(a.requestID, a.requestLog, a.securityHeaders, middleware.Recover())
	e.GET(static.Prefix+"*", echo.WrapHandler(static.Handler()), middleware.Gzip())

	pages := e.Group("", noStore, middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024}), bodyLimit, a.csrf)
	pages.GET("/", a.home, a.requireSession)
	pages.GET("/login", a.loginShow)
	pages.POST("/login", a.loginSave)
	pages.POST("/logout", a.logout)
	pages.GET("/teams", a.teamList, a.requireSession)

	team := pages.Group("/teams/:slug/secrets", a.requireSession, a.teamScope)
	team.GET("", a.secretList)
	team.GET("/new", a.secretCreate, a.requireWriter)
	team.POST("", a.secretSave, a.requireWriter)
	team.GET("/exists", a.secretExistsJSON, a.requireWriter)
	team.GET("/:name/rotate", a.secretRotate, a.requireWriter)
	team.POST("/:name/rotate", a.secretRotateSave, a.requireWriter)
	team.GET("/:name/delete", a.secretDelete, a.requireWriter)
	team.POST("/:name/delete", a.secretRemove, a.requireWriter)

	// API keys: every member manages their own (key_*.go).
	keys := pages.Group("/teams/:slug/keys", a.requireSession, a.teamScope)
	keys.GET("", a.apiKeyList)
	keys.GET("/new", a.apiKeyCreate)
	keys.POST("", a.apiKeySave)
	keys.GET("/:id/revoke", a.apiKeyRevoke)
	keys.POST("/:id/revoke", a.apiKeyRemove)

	// History: the team's audit trail, when the API keeps one (audit_list.go).
	pages.GET("/teams/:slug/history", a.auditList, a.requireSession, a.teamScope)

	// Import takes uploads up to 1 MiB: its own body limit, outside the
	// pages group's, read before the CSRF check parses the form.
	imports := []echo.MiddlewareFunc{noStore, middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024}),
		a.importBodyLimit, a.csrf, a.requireSession, a.teamScope, a.requireWriter}
	e.GET("/teams/:slug/secrets/import", a.secretImport, imports...)
	e.POST("/teams/:slug/secrets/import", a.secretImportSave, imports...)

	// The patterns the metrics may name (routeSeen): echo gives a request
	// it found no route for the pattern of a group's not-found route ("/*").
	a.routePaths = map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method != echo.RouteNotFound {
			a.routePaths[r.Path] = true
		}
	}

	// Cross-origin writes are refused before they reach echo, whatever token
	// they carry.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(a.crossOriginDenied))
	return headAsGet(cop.Handler(e))
}
