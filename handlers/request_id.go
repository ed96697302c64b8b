package handlers

import (
	"github.com/labstack/echo/v4"

	"teamsecrets/requestid"
)

// requestID names each UI request: the id goes to the API with every call
// made for it (cloud's transport sends X-Request-ID), so the API's audit
// events of one page request share it, and back to the browser. The
// browser's address rides along in the context for the embedded API only
// (in-process); it is never sent over the network.
func (a *App) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		info := requestid.Info{ID: requestid.New(), ClientAddr: c.RealIP()}
		r := c.Request()
		c.SetRequest(r.WithContext(requestid.With(r.Context(), info)))
		c.Response().Header().Set(requestid.Header, info.ID)
		return next(c)
	}
}
