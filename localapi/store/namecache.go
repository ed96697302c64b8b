package store

import (
	"context"
	"sync"
)

// The name cache keeps each team's sorted secret names in memory, so the
// list every client asks for most costs no query.
//
// Its correctness rule, all of it:
//
//  1. Only the backend's single owner may turn it on: the one process that
//     writes secrets, every write going through the returned Backend. The
//     SQLite backend does so while it holds the data directory's lock (one
//     server per directory; admin commands beside it never write secrets).
//     A backend that several processes write (PostgreSQL behind several
//     instances) must not.
//  2. Every write bumps its team's generation before it starts and again
//     after it ends (committed or not), and drops the cached list.
//  3. A list read from the backend is kept only if the generation is still
//     the one seen before the read began: no write to that team started or
//     ended meanwhile. So the cache can never show a deleted secret or hide
//     a new one, however reads and writes interleave.
//
// Every method of Secrets that writes is wrapped below; reads other than
// SecretNames and the team's size (SecretCount, SecretMatches without a
// search) pass through.

// WithNameCache returns b with SecretNames served from memory. See the rule
// above: only for a backend whose every write goes through the result.
func WithNameCache(b Backend) Backend {
	return &nameCached{Backend: b, gen: map[string]uint64{}, names: map[string][]string{}, counts: map[string]int{}}
}

type nameCached struct {
	Backend

	mu    sync.Mutex
	gen   map[string]uint64   // tenant id -> writes begun and ended so far
	names map[string][]string // tenant id -> names, read-only once stored
	// counts are team sizes, kept by the same rule as names (the list
	// page's total needs the count, not the names).
	counts map[string]int
}

// Unwrap returns the backend under the cache.
func (c *nameCached) Unwrap() Backend { return c.Backend }

func (c *nameCached) SecretNames(ctx context.Context, tenantID string) ([]string, error) {
	c.mu.Lock()
	names, ok := c.names[tenantID]
	gen := c.gen[tenantID]
	c.mu.Unlock()
	if ok {
		return names, nil
	}
	names, err := c.Backend.SecretNames(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen[tenantID] == gen {
		c.names[tenantID] = names
	}
	c.mu.Unlock()
	return names, nil
}

// SecretCount is the team's size: from the cached names or count, else
// counted and kept under the same rule as names.
func (c *nameCached) SecretCount(ctx context.Context, tenantID string) (int, error) {
	c.mu.Lock()
	names, named := c.names[tenantID]
	n, counted := c.counts[tenantID]
	gen := c.gen[tenantID]
	c.mu.Unlock()
	if named {
		return len(names), nil
	}
	if counted {
		return n, nil
	}
	n, err := c.Backend.SecretCount(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	if c.gen[tenantID] == gen {
		c.counts[tenantID] = n
	}
	c.mu.Unlock()
	return n, nil
}

// SecretMatches without a search is the team's size.
func (c *nameCached) SecretMatches(ctx context.Context, tenantID, search string) (int, error) {
	if search == "" {
		return c.SecretCount(ctx, tenantID)
	}
	return c.Backend.SecretMatches(ctx, tenantID, search)
}

// invalidate is called before a write starts and again after it ends.
func (c *nameCached) invalidate(tenantID string) {
	c.mu.Lock()
	c.gen[tenantID]++
	delete(c.names, tenantID)
	delete(c.counts, tenantID)
	c.mu.Unlock()
}

func (c *nameCached) PutSealed(ctx context.Context, epoch KeyEpoch, tenantID, name, actor string, sealed []byte) error {
	c.invalidate(tenantID)
	defer c.invalidate(tenantID)
	return c.Backend.PutSealed(ctx, epoch, tenantID, name, actor, sealed)
}

func (c *nameCached) PutSealedMany(ctx context.Context, epoch KeyEpoch, tenantID, actor string, sealed map[string][]byte) error {
	c.invalidate(tenantID)
	defer c.invalidate(tenantID)
	return c.Backend.PutSealedMany(ctx, epoch, tenantID, actor, sealed)
}

func (c *nameCached) DeleteSecret(ctx context.Context, tenantID, name string) (bool, error) {
	c.invalidate(tenantID)
	defer c.invalidate(tenantID)
	return c.Backend.DeleteSecret(ctx, tenantID, name)
}
