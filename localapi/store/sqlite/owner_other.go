//go:build !unix

package sqlite

// ownLike does nothing where files have no Unix owner.
func ownLike(path, dir string) error { return nil }
