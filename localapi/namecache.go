package localapi

import (
	"context"
	"sync"
)

// nameCache keeps each team's sorted secret names in memory. The serving
// process is the only writer of secrets (the data directory is locked), and
// every write goes through Store, which bumps the team's generation after
// commit. A list read from SQLite is kept only if no write to that team
// began its commit during the read, so the cache can never show a deleted
// secret or hide a new one.
type nameCache struct {
	mu    sync.Mutex
	gen   map[string]uint64   // tenant id -> writes so far
	names map[string][]string // tenant id -> names, read-only once stored
}

func newNameCache() *nameCache {
	return &nameCache{gen: map[string]uint64{}, names: map[string][]string{}}
}

// get returns the cached names and the generation they belong to.
func (c *nameCache) get(tenantID string) ([]string, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	names, ok := c.names[tenantID]
	return names, c.gen[tenantID], ok
}

// put stores names read at generation gen, unless a write came since.
func (c *nameCache) put(tenantID string, gen uint64, names []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen[tenantID] == gen {
		c.names[tenantID] = names
	}
}

// invalidate is called before a write commits and again after it.
func (c *nameCache) invalidate(tenantID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen[tenantID]++
	delete(c.names, tenantID)
}

// cachedNames serves SecretNames from the cache, filling it on a miss.
func (s *Store) cachedNames(ctx context.Context, tenantID string) ([]string, error) {
	names, gen, ok := s.names.get(tenantID)
	if ok {
		return names, nil
	}
	names, err := s.secretNamesFromDB(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	s.names.put(tenantID, gen, names)
	return names, nil
}
