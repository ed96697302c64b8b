//go:build !unix

package sqlite

// LockDataDir is a no-op where flock is not available; run one server per
// data directory (the name cache relies on it).
func LockDataDir(string) (func(), error) { return func() {}, nil }
