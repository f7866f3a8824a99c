package main

import (
	"sync"
	"sync/atomic"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
)

// The entities whose events change what the S3 gateway caches.
const (
	s3KeysEntity   = messages.S3KeysKind + "/" + messages.S3KeysID   // access keys and grants
	registryEntity = messages.VaultsKind + "/" + messages.RegistryID // vault metadata: aliases
)

// s3Cache keeps what the S3 gateway needs on every request (an access key's opened secret,
// create flag and grants; the generation of the vault registry for the gateway's bucket map) so
// that a request asks no actor while nothing changed. It is a commit hook: the committer hands
// it the events of every commit before any actor of the group answers, so a change of keys,
// grants or vaults, whoever makes it (admin routes, CLI, the gateway's CreateBucket and
// DeleteBucket, config.yaml, the mesh), bumps a generation before its request returns, and the
// very next S3 request reads afresh. The zero value is ready.
type s3Cache struct {
	keysGen, vaultsGen atomic.Uint64

	// planned by Prepare, applied by Done; both run on the committer's goroutine.
	bumpKeys, bumpVaults bool

	mu   sync.Mutex
	at   uint64                 // the keysGen entries were read at
	keys map[string]s3CachedKey // key id → what the keys actor answered, secret opened
}

// s3CachedKey is one access key as the gateway uses it.
type s3CachedKey struct {
	acc    messages.S3KeyAccess
	secret string // opened with the keyring
}

var _ host.CommitHook = (*s3Cache)(nil)

// Prepare notes whether the group changes keys, grants or vaults; it writes nothing.
func (c *s3Cache) Prepare(events []*eventv1.Event) []persist.Write {
	c.bumpKeys, c.bumpVaults = false, false
	for _, ev := range events {
		switch ev.GetEntity() {
		case s3KeysEntity:
			c.bumpKeys = true
		case registryEntity:
			c.bumpVaults = true
		}
	}
	return nil
}

// Done bumps the generations Prepare planned, committed or not (a failed commit changed
// nothing, and reading afresh once costs only an ask).
func (c *s3Cache) Done(bool) {
	if c.bumpKeys {
		c.keysGen.Add(1)
	}
	if c.bumpVaults {
		c.vaultsGen.Add(1)
	}
	c.bumpKeys, c.bumpVaults = false, false
}

// vaultsGeneration is the gateway's Config.VaultsGen.
func (c *s3Cache) vaultsGeneration() uint64 { return c.vaultsGen.Load() }

// key returns the cached entry of key id at the current generation, and that generation (to
// pass to put after reading afresh).
func (c *s3Cache) key(id string) (s3CachedKey, uint64, bool) {
	gen := c.keysGen.Load()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at != gen {
		c.keys, c.at = nil, gen
	}
	e, ok := c.keys[id]
	return e, gen, ok
}

// put keeps e for key id if it was read at gen and nothing changed since: an answer that raced
// a change is used once, never kept.
func (c *s3Cache) put(id string, gen uint64, e s3CachedKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at != gen || c.keysGen.Load() != gen {
		return
	}
	if c.keys == nil {
		c.keys = make(map[string]s3CachedKey)
	}
	c.keys[id] = e
}
