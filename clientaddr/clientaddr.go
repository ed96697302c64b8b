// Package clientaddr says which address a request comes from, the one
// rule the UI and the local API share for sign-in and API-key limits and
// for the audit trail.
package clientaddr

import (
	"net"
	"net/http"
	"strings"
)

// Of is the request's client address: the connection's peer; or, with
// trustProxy (only behind a proxy that alone reaches this server), the
// address that proxy appended last to X-Forwarded-For: the last hop of the
// last header line. Hops before it were written by the client, or by
// proxies this server cannot vouch for, and are never taken, even when
// they look private or local.
func Of(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			hops := strings.Split(xff[len(xff)-1], ",")
			if a := strings.TrimSpace(hops[len(hops)-1]); a != "" {
				return a
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
