package s3keys

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// keyRecord is one access key in persist.S3Keys, at "s3/keys/key/<id>" (JSON).
type keyRecord struct {
	ID               string `json:"id"`
	Label            string `json:"label,omitempty"`
	SealedSecret     []byte `json:"sealed_secret"` // sealed under messages.S3KeyPurpose(ID)
	CanCreateBuckets bool   `json:"can_create_buckets,omitempty"`
	CreatedMs        int64  `json:"created_ms"`
}

func (r *keyRecord) info() messages.S3Key {
	return messages.S3Key{AccessKeyID: r.ID, Label: r.Label, CanCreateBuckets: r.CanCreateBuckets, CreatedMs: r.CreatedMs}
}

// grantRecord is one key's grant on one bucket, at "s3/keys/grant/<key id>/<bucket>" (JSON).
// Key ids hold no '/', so a key's grants are one prefix, sorted by bucket.
type grantRecord struct {
	KeyID     string   `json:"key_id"`
	Bucket    string   `json:"bucket"`
	Ops       []string `json:"ops"`
	UpdatedMs int64    `json:"updated_ms"`
}

func (r *grantRecord) info() messages.S3Grant {
	return messages.S3Grant{KeyID: r.KeyID, Bucket: r.Bucket, Ops: slices.Clone(r.Ops)}
}

func (c *core) keyPrefix() string                 { return c.prefix + "key/" }
func (c *core) grantPrefix() string               { return c.prefix + "grant/" }
func (c *core) keyKey(id string) string           { return c.keyPrefix() + id }
func (c *core) grantKey(id, bucket string) string { return c.grantPrefix() + id + "/" + bucket }

// key reads access key id; "S3 access key not found" when there is none.
func (c *core) key(v persist.View, id string) (*keyRecord, error) {
	if id == "" || strings.Contains(id, "/") {
		return nil, messages.NotFound("S3 access key")
	}
	raw, ok := v.Get(persist.S3Keys, c.keyKey(id))
	if !ok {
		return nil, messages.NotFound("S3 access key")
	}
	rec := &keyRecord{}
	if err := json.Unmarshal(raw, rec); err != nil {
		return nil, fmt.Errorf("s3 keys: decode key %s: %w", id, err)
	}
	return rec, nil
}

// grantRecord reads the grant of key id on bucket; "S3 grant not found" when there is none.
func (c *core) grantRecord(v persist.View, id, bucket string) (*grantRecord, error) {
	if id == "" || bucket == "" || strings.Contains(id, "/") || strings.Contains(bucket, "/") {
		return nil, messages.NotFound("S3 grant")
	}
	raw, ok := v.Get(persist.S3Keys, c.grantKey(id, bucket))
	if !ok {
		return nil, messages.NotFound("S3 grant")
	}
	rec := &grantRecord{}
	if err := json.Unmarshal(raw, rec); err != nil {
		return nil, fmt.Errorf("s3 keys: decode grant %s on %s: %w", id, bucket, err)
	}
	return rec, nil
}

// listKeys reads every key, by id; unreadable records are skipped.
func (c *core) listKeys(v persist.View) []messages.S3Key {
	out := make([]messages.S3Key, 0, c.keys)
	v.Scan(persist.S3Keys, c.keyPrefix(), "", func(_ string, raw []byte) bool {
		var rec keyRecord
		if json.Unmarshal(raw, &rec) == nil {
			out = append(out, rec.info())
		}
		return true
	})
	return out
}

// listGrants reads the grants of key id (all of them when id is ""), by key then bucket.
func (c *core) listGrants(v persist.View, id string) []messages.S3Grant {
	prefix := c.grantPrefix()
	if id != "" {
		if strings.Contains(id, "/") {
			return []messages.S3Grant{}
		}
		prefix += id + "/"
	}
	out := []messages.S3Grant{}
	v.Scan(persist.S3Keys, prefix, "", func(_ string, raw []byte) bool {
		var rec grantRecord
		if json.Unmarshal(raw, &rec) == nil {
			out = append(out, rec.info())
		}
		return true
	})
	// Byte order of "<key>/<bucket>" is key then bucket, since neither holds '/' (sorted anyway
	// so the answer does not depend on that).
	slices.SortFunc(out, func(a, b messages.S3Grant) int {
		return cmp.Or(strings.Compare(a.KeyID, b.KeyID), strings.Compare(a.Bucket, b.Bucket))
	})
	return out
}

func (c *core) putKey(r *keyRecord) persist.Write {
	return persist.Write{Bucket: persist.S3Keys, Key: c.keyKey(r.ID), Value: mustJSON(r)}
}

func (c *core) putGrant(r *grantRecord) persist.Write {
	return persist.Write{Bucket: persist.S3Keys, Key: c.grantKey(r.KeyID, r.Bucket), Value: mustJSON(r)}
}

// mustJSON encodes a record; the record types always encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("s3 keys: encode %T: %v", v, err))
	}
	return b
}
