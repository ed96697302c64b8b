package localapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"teamsecrets/clientaddr"
	"teamsecrets/ratelimit"
	"teamsecrets/requestid"
)

// Failed API-key authentications are limited per client address: API keys
// are 256-bit random strings and cannot be guessed, but chosen keys,
// leaked key prefixes and plain noise should not be tried at full speed.
// The key is looked up as the request begins, while the attempt counts, so
// parallel guesses are limited as well as sequential ones; a correct key
// gives back its own attempt and nothing else. Other addresses are never
// affected. The embedded UI's own calls (in-process) are not counted here:
// its sign-in form has its own limit per browser address.

type inProcessKey struct{}

// isInProcess reports whether the request came through Transport.
func isInProcess(ctx context.Context) bool {
	v, _ := ctx.Value(inProcessKey{}).(bool)
	return v
}

// authenticate resolves the caller's key now, counting a wrong one against
// the client's address. It reports false when it has answered the request
// (429) itself.
func (s *Server) authenticate(ctx context.Context, w http.ResponseWriter, r *http.Request, c *caller) bool {
	if c.key == "" || isInProcess(ctx) {
		return true
	}
	addr := clientaddr.Of(r, s.trustProxy)
	attempt, wait := s.authFailures.Begin(ctx, addr)
	if attempt == nil {
		if s.metrics != nil {
			s.metrics.APIKeyRefused()
		}
		secs := int(wait.Seconds() + 0.999)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeErrors(w, http.StatusTooManyRequests, CodeUnauthenticated,
			"Too many failed authentications from your address: try again in "+strconv.Itoa(secs)+" s")
		return false
	}
	_, err := identify(withCaller(ctx, c))
	if !errors.Is(err, errUnauthenticated) {
		attempt.Succeeded() // accepted, or not judged (the store could not answer)
		if c.expired != nil {
			s.recordRefusal(ctx, requestid.From(ctx), c.expired)
		}
		return true
	}
	limitReached := attempt.Failed()
	s.recordRefusal(ctx, requestid.From(ctx), nil)
	if limitReached {
		slog.WarnContext(ctx, "api: too many failed authentications; refusing the address until its window ends",
			"addr", addr, "limit", s.limits.AuthFailures, "window", s.limits.AuthWindow.String())
	} else {
		slog.InfoContext(ctx, "api: authentication failed: unknown API key", "addr", addr, "request_id", requestid.From(ctx).ID)
	}
	return true
}

func newAuthFailures(l Limits, now func() time.Time, shared ratelimit.Shared) *ratelimit.Failures {
	return ratelimit.New(ratelimit.Config{
		Limit: l.AuthFailures, Window: l.AuthWindow, MaxAddrs: 100_000, Now: now,
		Shared: shared, Scope: "apikey",
	})
}
