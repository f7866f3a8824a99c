package s3

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/http/s3/sigv4"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// createBucket answers CreateBucket: for a key allowed to create buckets, a new vault (key
// sealed with the master key, declared in config.yaml) whose alias is the bucket, every op
// granted to the key. An existing bucket is BucketAlreadyOwnedByYou for a key holding a grant
// on it, else BucketAlreadyExists.
func (g *Gateway) createBucket(q *request) {
	if _, err := g.findBucket(q, q.bucket); err == nil {
		if g.anyGrant(q.auth.AccessKeyID, q.bucket) {
			g.fail(q, &sigv4.Error{Code: "BucketAlreadyOwnedByYou", Status: http.StatusConflict,
				Message: "your previous request to create the named bucket succeeded and you already own it"})
			return
		}
		g.fail(q, &sigv4.Error{Code: "BucketAlreadyExists", Status: http.StatusConflict,
			Message: "the requested bucket name is not available"})
		return
	} else if !errors.Is(err, errNoSuchBucket) {
		g.fail(q, err)
		return
	}
	if _, canCreate, _ := g.cfg.Lookup(q.auth.AccessKeyID); !canCreate {
		g.fail(q, s3Error(sigv4.ErrAccessDenied, "access denied: the key may not create buckets"))
		return
	}
	if err := vault.CheckBucketName(q.bucket); err != nil {
		g.fail(q, &sigv4.Error{Code: "InvalidBucketName", Status: http.StatusBadRequest, Message: err.Error()})
		return
	}
	if g.cfg.Sealer == nil || g.cfg.GrantAll == nil {
		g.fail(q, s3Error(errNotImplemented, "CreateBucket is not available on this node: create a vault and set its s3-alias"))
		return
	}
	if err := g.newBucketVault(q); err != nil {
		g.fail(q, err)
		return
	}
	q.w.Header().Set("Location", "/"+q.bucket)
	q.w.WriteHeader(http.StatusOK)
}

// newBucketVault creates the vault of a new bucket and grants the calling key every op on it.
func (g *Gateway) newBucketVault(q *request) error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	key := vaultcrypt.NewKey()
	sealed, err := g.cfg.Sealer.Seal(messages.VaultKeyPurpose(id), key[:])
	if err != nil {
		return fmt.Errorf("s3: seal the key of bucket %s: %w", q.bucket, err)
	}
	reg := func(msg any) (messages.VaultMeta, error) {
		return host.AskChild[messages.VaultMeta](q.ctx(), g.cfg.Actors.Root, g.cfg.Registry, messages.RegistryID, msg, g.cfg.Actors.Limit)
	}
	cmd := messages.CreateVault{ID: id, Name: q.bucket, SealedKey: sealed, Roles: []string{messages.RoleS3}}
	if _, err := reg(cmd); errors.Is(err, messages.ErrConflict) { // the name is taken by a vault without this alias
		cmd.Name = q.bucket + " (s3 " + id[:6] + ")"
		_, err = reg(cmd)
		if err != nil {
			return translate(err, nil)
		}
	} else if err != nil {
		return translate(err, nil)
	}
	meta, err := reg(messages.SetAlias{ID: id, Alias: q.bucket})
	if err != nil { // the alias was taken meanwhile: drop the new vault
		_, _ = host.AskChild[messages.VaultDeleted](q.ctx(), g.cfg.Actors.Root, g.cfg.Registry, messages.RegistryID, messages.DeleteVault{ID: id}, g.cfg.Actors.Limit)
		if errors.Is(err, messages.ErrConflict) {
			return &sigv4.Error{Code: "BucketAlreadyExists", Status: http.StatusConflict, Message: "the requested bucket name is not available"}
		}
		return translate(err, nil)
	}
	// The grant before config.yaml: a bucket its creator holds no grant on could be neither
	// used nor created again (BucketAlreadyExists), so a failed grant drops the new vault.
	if err := g.cfg.GrantAll(q.ctx(), q.auth.AccessKeyID, q.bucket); err != nil {
		_, _ = host.AskChild[messages.VaultDeleted](q.ctx(), g.cfg.Actors.Root, g.cfg.Registry, messages.RegistryID, messages.DeleteVault{ID: id}, g.cfg.Actors.Limit)
		return translate(fmt.Errorf("s3: grant key %s on the new bucket %s: %w", q.auth.AccessKeyID, q.bucket, err), nil)
	}
	if g.cfg.Decls != nil {
		st, err := ask[messages.VaultStatus](g, q, id, messages.GetVault{})
		if err != nil {
			return translate(err, nil)
		}
		if err := g.cfg.Decls.Declare(q.ctx(), meta, st.Policy); err != nil {
			return fmt.Errorf("s3: bucket %s (vault %s) created, but config.yaml was not updated: %w", q.bucket, id, err)
		}
	}
	g.log.Info("s3 bucket created", "bucket", q.bucket, "vault", id, "key_id", q.auth.AccessKeyID)
	return nil
}

// deleteBucket answers DeleteBucket: with the delete grant, a bucket without live objects is
// deleted with its vault (as DELETE /vaults/:id does); otherwise BucketNotEmpty.
func (g *Gateway) deleteBucket(q *request) {
	v, err := g.bucketVault(q, OpDelete)
	if err != nil {
		g.fail(q, err)
		return
	}
	fl, err := ask[messages.FileList](g, q, v.ID, messages.ListFiles{Limit: 1})
	if err != nil {
		g.fail(q, translate(err, errNoSuchBucket))
		return
	}
	if len(fl.Files) > 0 {
		g.fail(q, errBucketNotEmpty)
		return
	}
	if _, err := host.AskChild[messages.VaultDeleted](q.ctx(), g.cfg.Actors.Root, g.cfg.Registry, messages.RegistryID,
		messages.DeleteVault{ID: v.ID}, g.cfg.Actors.Limit); err != nil {
		g.fail(q, translate(err, errNoSuchBucket))
		return
	}
	if _, err := ask[messages.VaultPurge](g, q, v.ID, messages.PurgeVault{}); err != nil {
		g.fail(q, translate(err, nil))
		return
	}
	if g.cfg.Decls != nil {
		if err := g.cfg.Decls.Forget(q.ctx(), v.ID); err != nil {
			g.fail(q, fmt.Errorf("s3: bucket %s deleted, but config.yaml was not updated: %w", q.bucket, err))
			return
		}
	}
	g.log.Info("s3 bucket deleted", "bucket", q.bucket, "vault", v.ID, "key_id", q.auth.AccessKeyID)
	q.w.WriteHeader(http.StatusNoContent)
}
