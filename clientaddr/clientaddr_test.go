package clientaddr

import (
	"net/http/httptest"
	"testing"
)

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		name  string
		xff   []string
		trust bool
		want  string
	}{
		{"peer", nil, false, "192.0.2.7"},
		{"forwarded header ignored without trust", []string{"203.0.113.9"}, false, "192.0.2.7"},
		{"proxy's hop", []string{"203.0.113.9"}, true, "203.0.113.9"},
		// The client sent its own header; the proxy appended a line of its
		// own (HAProxy's option forwardfor) or a hop to the same line
		// (nginx's $proxy_add_x_forwarded_for): the proxy's is last either way.
		{"client's line before the proxy's", []string{"203.0.113.250", "10.1.1.2"}, true, "10.1.1.2"},
		{"client's hops before the proxy's", []string{"203.0.113.250, 10.1.1.2"}, true, "10.1.1.2"},
		// A private or loopback last hop is still the client: never walk
		// left past it to text the client wrote.
		{"private last hop", []string{"198.51.100.1, 127.0.0.1"}, true, "127.0.0.1"},
		{"empty header", []string{""}, true, "192.0.2.7"},
		// Not an address: the peer, never the text.
		{"text", []string{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, true, "192.0.2.7"},
		{"unknown", []string{"unknown"}, true, "192.0.2.7"},
		// A port some balancers add is dropped: one address, one count.
		{"IPv4 with port", []string{"203.0.113.9:51234"}, true, "203.0.113.9"},
		{"IPv6 with port", []string{"[2001:db8::1]:443"}, true, "2001:db8::1"},
		{"IPv6", []string{"2001:db8::1"}, true, "2001:db8::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = "192.0.2.7:5555"
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := Of(r, tc.trust); got != tc.want {
				t.Fatalf("Of = %q, want %q", got, tc.want)
			}
		})
	}
}
