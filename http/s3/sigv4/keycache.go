package sigv4

import "sync"

// maxCachedKeys bounds the signing keys a Verifier keeps; past it the cache starts over.
const maxCachedKeys = 1024

// keyCache keeps, per access key id, the signing key last derived and what it was derived from
// (secret, day, region, service): the derivation is four HMACs, the same for a whole day of a
// key's requests. A changed secret or scope derives again.
type keyCache struct {
	mu   sync.Mutex
	keys map[string]cachedKey
}

// cachedKey is one derived signing key and its inputs.
type cachedKey struct {
	secret string
	cred   credential
	key    []byte // read only: shared by the requests that signed with it
}

// signingKey returns signingKey(secret, c), derived once per key id, secret and scope.
func (k *keyCache) signingKey(secret string, c credential) []byte {
	k.mu.Lock()
	e, ok := k.keys[c.AccessKeyID]
	k.mu.Unlock()
	if ok && e.cred == c && e.secret == secret {
		return e.key
	}
	key := signingKey(secret, c)
	k.mu.Lock()
	if k.keys == nil || len(k.keys) >= maxCachedKeys {
		k.keys = make(map[string]cachedKey)
	}
	k.keys[c.AccessKeyID] = cachedKey{secret: secret, cred: c, key: key}
	k.mu.Unlock()
	return key
}
