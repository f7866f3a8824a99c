package s3

import (
	"net/url"
	"strings"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/s3/sigv4"
	"github.com/meshhold/meshhold/messages"
)

// keyPath maps an object key to its vault path: "a/b" is "/a/b". A folder marker "dir/" keeps
// its trailing slash ("/dir/"); every other rule of the REST routes' paths applies (no empty,
// "." or ".." segment, no control character, valid UTF-8, length limits), and a key they refuse
// is InvalidArgument.
func keyPath(key string) (string, error) {
	if strings.HasPrefix(key, "/") { // an empty first segment: CleanVaultPath would drop it, "/x" become "x"
		return "", s3Error(sigv4.ErrInvalidArgument, "object key %q is not a valid vault path: it starts with /", key)
	}
	marker := strings.HasSuffix(key, "/")
	p, err := api.CleanVaultPath(url.PathEscape(strings.TrimSuffix(key, "/")))
	if err != nil {
		return "", s3Error(sigv4.ErrInvalidArgument, "object key %q is not a valid vault path: %v", key, err)
	}
	if marker {
		p += "/"
	}
	return p, nil
}

// pathKey maps a vault path back to its object key.
func pathKey(p string) string { return strings.TrimPrefix(p, "/") }

// vaultList is the registry's vault list as read at generation gen of Config.VaultsGen.
type vaultList struct {
	gen    uint64
	vaults []messages.VaultMeta // shared by every request: read only
}

// vaults lists the registry's vaults: the list last read while Config.VaultsGen has not
// changed, else the registry's answer. The generation is read before the ask, so a list that
// raced a change is kept under the older generation and never served after it.
func (g *Gateway) vaults(q *request) ([]messages.VaultMeta, error) {
	var gen uint64
	if g.cfg.VaultsGen != nil {
		gen = g.cfg.VaultsGen()
		if c := g.known.Load(); c != nil && c.gen == gen {
			return c.vaults, nil
		}
	}
	list, err := host.AskChild[messages.VaultList](q.ctx(), g.cfg.Actors.Root, g.cfg.Registry, messages.RegistryID,
		messages.ListVaults{}, g.cfg.Actors.Limit)
	if err != nil {
		return nil, translate(err, nil)
	}
	if g.cfg.VaultsGen != nil {
		g.known.Store(&vaultList{gen: gen, vaults: list.Vaults})
	}
	return list.Vaults, nil
}

// target resolves the request's bucket (the key must hold op on it) and its key's vault path;
// when either fails it has answered the request with the S3 error, and ok is false.
func (g *Gateway) target(q *request, op string) (v messages.VaultMeta, path string, ok bool) {
	v, err := g.bucketVault(q, op)
	if err == nil {
		path, err = keyPath(q.key)
	}
	if err != nil {
		g.fail(q, err)
		return v, "", false
	}
	return v, path, true
}

// bucketVault checks the key's grant op on the request's bucket, then finds the trusted vault
// whose alias it is. The grant comes first, so a key learns nothing of buckets it holds no
// grant on.
func (g *Gateway) bucketVault(q *request, op string) (messages.VaultMeta, error) {
	if !g.cfg.Allowed(q.auth.AccessKeyID, q.bucket, op) {
		return messages.VaultMeta{}, accessDenied(op, q.bucket)
	}
	return g.findBucket(q, q.bucket)
}

// findBucket resolves a bucket name without checking grants.
func (g *Gateway) findBucket(q *request, bucket string) (messages.VaultMeta, error) {
	list, err := g.vaults(q)
	if err != nil {
		return messages.VaultMeta{}, err
	}
	for _, m := range list {
		if m.Alias == bucket && !m.Untrusted {
			return m, nil
		}
	}
	return messages.VaultMeta{}, s3Error(errNoSuchBucket, "the specified bucket %q does not exist", bucket)
}

// anyGrant tells whether the key holds any op on bucket.
func (g *Gateway) anyGrant(key, bucket string) bool {
	return g.cfg.Allowed(key, bucket, OpRead) || g.cfg.Allowed(key, bucket, OpWrite) || g.cfg.Allowed(key, bucket, OpDelete)
}

// ask sends msg to the vault actor and returns its reply of type R.
func ask[R any](g *Gateway, q *request, vaultID string, msg any) (R, error) {
	return host.AskChild[R](q.ctx(), g.cfg.Actors.Root, g.cfg.Vault, vaultID, msg, g.cfg.Actors.Limit)
}
