//go:build !unix

package localapi

// LockDataDir is a no-op where flock is not available; run one server per
// data directory.
func LockDataDir(string) (func(), error) { return func() {}, nil }
