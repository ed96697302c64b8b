// Package requestid names one request across the UI and the API: the UI
// makes an id per page request and sends it with every API call it makes
// for it (X-Request-ID), the API records it in each audit event and log
// line, so the two writes of a rename, or the many of an import, are seen
// as one request.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// Header is the HTTP header that carries a request id.
const Header = "X-Request-ID"

// Info is a request's id and, where known, its client's address.
type Info struct {
	ID         string
	ClientAddr string
}

type key struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info Info) context.Context {
	return context.WithValue(ctx, key{}, info)
}

// From returns the info in ctx (zero if none).
func From(ctx context.Context) Info {
	i, _ := ctx.Value(key{}).(Info)
	return i
}

// New makes a random id: 16 hex digits.
func New() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Valid reports whether id may be taken from a client: 1 to 64 letters,
// digits, '-', '_' or '.'. Anything else is replaced, so an id never
// carries markup, spaces or a log line's separators.
func Valid(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
