// Package clientaddr says which address a request comes from, the one
// rule the UI and the local API share for sign-in and API-key limits and
// for the audit trail.
package clientaddr

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Of is the request's client address: the connection's peer; or, with
// trustProxy (only behind a proxy that alone reaches this server), the
// address that proxy appended last to X-Forwarded-For: the last hop of the
// last header line. Hops before it were written by the client, or by
// proxies this server cannot vouch for, and are never taken, even when
// they look private or local. A hop that is not an address (with or
// without a port, which some balancers add and which is dropped) is not
// taken either: the peer is, so text a caller sent never becomes a count's
// key, an audit field or a log line.
func Of(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			hops := strings.Split(xff[len(xff)-1], ",")
			if a, ok := address(strings.TrimSpace(hops[len(hops)-1])); ok {
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

// address is hop as an IP address, without a port or brackets.
func address(hop string) (string, bool) {
	if ip, err := netip.ParseAddr(hop); err == nil {
		return ip.String(), true
	}
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr().String(), true
	}
	return "", false
}
