// Package s3keys is the S3 access keys actor (entity s3/keys): the keys the S3 gateway accepts,
// each with its secret sealed by the node keyring, and the grants that let a key read, write or
// delete in a bucket. The gateway asks it (LookupS3Key) to verify and authorize each request;
// the REST API and the CLI manage keys and grants through it.
package s3keys

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// core counts the keys and grants, to enforce the limits; the records are read from disk.
type core struct {
	prefix       string // "s3/keys/"
	keys, grants int
}

// Load builds the core of entity (messages.S3KeysKind/messages.S3KeysID), counting its records.
func Load(entity string, v persist.View) (host.Core, error) {
	c := &core{prefix: entity + "/"}
	v.Scan(persist.S3Keys, c.keyPrefix(), "", func(string, []byte) bool { c.keys++; return true })
	v.Scan(persist.S3Keys, c.grantPrefix(), "", func(string, []byte) bool { c.grants++; return true })
	return c, nil
}

func (c *core) Step(now time.Time, msg any, v persist.View) host.Output {
	ms := now.UnixMilli()
	switch m := msg.(type) {
	case host.Recovered:
		return host.Output{}
	case messages.CreateS3Key:
		return c.create(ms, m, v)
	case messages.ListS3Keys:
		return host.Output{Reply: messages.S3KeyList{Keys: c.listKeys(v)}}
	case messages.DeleteS3Key:
		return c.delete(m, v)
	case messages.GrantS3:
		return c.grant(ms, m, v)
	case messages.RevokeS3:
		return c.revoke(m, v)
	case messages.ListS3Grants:
		return host.Output{Reply: messages.S3GrantList{Grants: c.listGrants(v, m.KeyID)}}
	case messages.LookupS3Key:
		rec, err := c.key(v, m.ID)
		if err != nil {
			return host.Output{Reply: err}
		}
		return host.Output{Reply: messages.S3KeyAccess{Key: rec.info(), SealedSecret: rec.SealedSecret, Grants: c.listGrants(v, m.ID)}}
	}
	return host.Output{Reply: fmt.Errorf("s3 keys: unknown command %T", msg)}
}

func (c *core) create(ms int64, m messages.CreateS3Key, v persist.View) host.Output {
	if err := messages.CheckS3KeyID("access_key_id", m.ID); err != nil {
		return host.Output{Reply: err}
	}
	if err := messages.CheckName("label", m.Label, messages.MaxS3KeyLabel, false); err != nil {
		return host.Output{Reply: err}
	}
	if len(m.SealedSecret) == 0 {
		return host.Output{Reply: messages.Invalid("secret_access_key", "the sealed secret is missing")}
	}
	if _, err := c.key(v, m.ID); err == nil {
		return host.Output{Reply: fmt.Errorf("%w: the access key %s already exists", messages.ErrConflict, m.ID)}
	} else if !errors.Is(err, messages.ErrNotFound) {
		return host.Output{Reply: err}
	}
	if c.keys >= messages.MaxS3Keys {
		return host.Output{Reply: fmt.Errorf("%w: this node holds %d S3 keys, the most it allows; delete one first", messages.ErrConflict, messages.MaxS3Keys)}
	}
	rec := &keyRecord{ID: m.ID, Label: m.Label, SealedSecret: m.SealedSecret, CanCreateBuckets: m.CanCreateBuckets, CreatedMs: ms}
	c.keys++
	return host.Output{
		Writes: []persist.Write{c.putKey(rec)},
		Events: []host.Event{{Type: "s3_key_created", Data: map[string]any{
			"key_id": m.ID, "label": m.Label, "can_create_buckets": m.CanCreateBuckets}}},
		Reply: rec.info(),
	}
}

// delete removes the key and its grants in one commit.
func (c *core) delete(m messages.DeleteS3Key, v persist.View) host.Output {
	if _, err := c.key(v, m.ID); err != nil {
		return host.Output{Reply: err}
	}
	writes := []persist.Write{{Bucket: persist.S3Keys, Key: c.keyKey(m.ID), Delete: true}}
	grants := c.listGrants(v, m.ID)
	for _, g := range grants {
		writes = append(writes, persist.Write{Bucket: persist.S3Keys, Key: c.grantKey(g.KeyID, g.Bucket), Delete: true})
	}
	c.keys--
	c.grants -= len(grants)
	return host.Output{
		Writes: writes,
		Events: []host.Event{{Type: "s3_key_revoked", Data: map[string]any{"key_id": m.ID, "grants": len(grants)}}},
		Reply:  messages.S3KeyDeleted{ID: m.ID, Grants: len(grants)},
	}
}

// grant sets the ops of a key on a bucket; setting the same ops again changes nothing.
func (c *core) grant(ms int64, m messages.GrantS3, v persist.View) host.Output {
	if err := messages.CheckS3KeyID("key_id", m.KeyID); err != nil {
		return host.Output{Reply: err}
	}
	if err := checkBucket(m.Bucket); err != nil {
		return host.Output{Reply: err}
	}
	ops, err := messages.CheckS3Ops(m.Ops)
	if err != nil {
		return host.Output{Reply: err}
	}
	if _, err := c.key(v, m.KeyID); err != nil {
		return host.Output{Reply: err}
	}
	old, err := c.grantRecord(v, m.KeyID, m.Bucket)
	switch {
	case err == nil && slices.Equal(old.Ops, ops):
		return host.Output{Reply: old.info()}
	case err != nil && !errors.Is(err, messages.ErrNotFound):
		return host.Output{Reply: err}
	case err != nil && c.grants >= messages.MaxS3Grants:
		return host.Output{Reply: fmt.Errorf("%w: this node holds %d S3 grants, the most it allows; revoke one first", messages.ErrConflict, messages.MaxS3Grants)}
	case err != nil:
		c.grants++
	}
	rec := &grantRecord{KeyID: m.KeyID, Bucket: m.Bucket, Ops: ops, UpdatedMs: ms}
	return host.Output{
		Writes: []persist.Write{c.putGrant(rec)},
		Events: []host.Event{{Type: "s3_grant_set", Data: map[string]any{"key_id": m.KeyID, "bucket": m.Bucket, "ops": ops}}},
		Reply:  rec.info(),
	}
}

func (c *core) revoke(m messages.RevokeS3, v persist.View) host.Output {
	rec, err := c.grantRecord(v, m.KeyID, m.Bucket)
	if err != nil {
		return host.Output{Reply: err}
	}
	c.grants--
	return host.Output{
		Writes: []persist.Write{{Bucket: persist.S3Keys, Key: c.grantKey(m.KeyID, m.Bucket), Delete: true}},
		Events: []host.Event{{Type: "s3_grant_removed", Data: map[string]any{"key_id": m.KeyID, "bucket": m.Bucket}}},
		Reply:  rec.info(),
	}
}

// checkBucket accepts a valid S3 bucket name, the rule of a vault's S3 alias.
func checkBucket(name string) error {
	err := vault.CheckBucketName(name)
	var inv *messages.InvalidError
	if errors.As(err, &inv) {
		return messages.Invalid("bucket", "%s", inv.Reason)
	}
	return err
}
