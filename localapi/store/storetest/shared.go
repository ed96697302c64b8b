package storetest

import (
	"strings"
	"testing"
	"time"

	"teamsecrets/localapi/store"
)

// testShared: a backend several instances serve (store.Shared) keeps
// sign-outs and failure counts for all of them. Backends served by one
// process do not have it; the test then checks nothing.
func testShared(t *testing.T, b store.Backend) {
	sh, ok := b.(store.Shared)
	if !ok {
		t.Skip("this backend is served by one process: sign-outs and failure counts stay in its memory")
	}
	ctx := t.Context()

	// Sign-outs: by id, until they expire.
	must(t, sh.RevokeSession(ctx, "session-a", time.Now().Add(time.Hour)))
	for id, want := range map[string]bool{"session-a": true, "session-b": false, "": false} {
		if got, err := sh.SessionRevoked(ctx, id); err != nil || got != want {
			t.Fatalf("SessionRevoked(%q) = %v, %v; want %v", id, got, err, want)
		}
	}
	must(t, sh.RevokeSession(ctx, "session-a", time.Now().Add(time.Minute))) // again, sooner: still revoked
	if got, _ := sh.SessionRevoked(ctx, "session-a"); !got {
		t.Fatal("revoking twice lifted the revocation")
	}

	// Failure counts: per scope and client, in a window from the first.
	for i := 1; i <= 3; i++ {
		n, err := sh.AddFailure(ctx, "signin", "10.0.0.1", time.Minute)
		if err != nil || n != i {
			t.Fatalf("failure %d: count %d, %v", i, n, err)
		}
	}
	n, until, err := sh.Failures(ctx, "signin", "10.0.0.1")
	if err != nil || n != 3 || until.Before(time.Now().Add(50*time.Second)) || until.After(time.Now().Add(61*time.Second)) {
		t.Fatalf("Failures = %d until %v, %v; want 3 until about a minute from now", n, until, err)
	}
	for _, other := range [][2]string{{"apikey", "10.0.0.1"}, {"signin", "10.0.0.2"}} {
		if n, _, err := sh.Failures(ctx, other[0], other[1]); err != nil || n != 0 {
			t.Fatalf("Failures(%s, %s) = %d, %v; want 0", other[0], other[1], n, err)
		}
	}
	// A window that ended starts over.
	must2(t)(sh.AddFailure(ctx, "apikey", "2001:db8::/64", 300*time.Millisecond))
	time.Sleep(400 * time.Millisecond)
	if n, _, err := sh.Failures(ctx, "apikey", "2001:db8::/64"); err != nil || n != 0 {
		t.Fatalf("after its window: %d, %v; want 0", n, err)
	}
	if n, err := sh.AddFailure(ctx, "apikey", "2001:db8::/64", time.Minute); err != nil || n != 1 {
		t.Fatalf("first failure of a new window: %d, %v", n, err)
	}
	// A client text of any length and content is counted (long ones by a
	// hash), never an error.
	long := strings.Repeat("x", 5000)
	for i := 1; i <= 2; i++ {
		if n, err := sh.AddFailure(ctx, "signin", long, time.Minute); err != nil || n != i {
			t.Fatalf("long client, failure %d: %d, %v", i, n, err)
		}
	}
	if _, err := sh.AddFailure(ctx, "signin", "bad\x00text", time.Minute); err != nil {
		t.Fatalf("a client text with a NUL byte: %v", err)
	}
}

func must2(t *testing.T) func(int, error) {
	return func(_ int, err error) {
		t.Helper()
		must(t, err)
	}
}
