package localapi

import "sync"

// docCache keeps parsed documents by their text, so the documents clients
// send again and again (the Prefect client's and the UI's, a handful of
// fixed texts) are parsed once. Only short texts are kept, and only up to
// a byte budget: what a client sends cannot pin memory. A cached document
// is never changed; each request measures it against its own variables.
type docCache struct {
	mu    sync.RWMutex
	docs  map[string]*document
	bytes int
}

const (
	maxCachedDocBytes = 2 << 10  // longer texts are parsed every time
	maxDocCacheBytes  = 64 << 10 // all cached texts together
)

func (c *docCache) get(text string) *document {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.docs[text]
}

// put keeps a parsed document while the byte budget allows.
func (c *docCache) put(text string, d *document) {
	if len(text) > maxCachedDocBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.docs[text]; ok || c.bytes+len(text) > maxDocCacheBytes {
		return
	}
	if c.docs == nil {
		c.docs = map[string]*document{}
	}
	c.docs[text] = d
	c.bytes += len(text)
}
