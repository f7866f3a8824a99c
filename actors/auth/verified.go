package auth

import (
	"sync"

	"github.com/meshhold/meshhold/messages"
)

// verified remembers bearers read from the store, valid while the store's version (its commit
// count) has not moved: any commit — a logout, a revocation — makes the next check read again.
type verified struct {
	mu      sync.RWMutex
	gen     uint64
	entries map[string]verifiedEntry
}

type verifiedEntry struct {
	p       messages.Principal
	expires int64 // ms; 0 never
}

// maxVerified bounds the cache; it starts over when full.
const maxVerified = 4096

func (c *verified) get(hash string, gen uint64) (messages.Principal, int64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.gen != gen {
		return messages.Principal{}, 0, false
	}
	e, ok := c.entries[hash]
	return e.p, e.expires, ok
}

func (c *verified) put(hash string, p messages.Principal, expires int64, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.entries == nil || len(c.entries) >= maxVerified {
		c.gen, c.entries = gen, make(map[string]verifiedEntry, 64)
	}
	c.entries[hash] = verifiedEntry{p: p, expires: expires}
}
