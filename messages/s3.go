package messages

import (
	"regexp"
	"slices"
)

// S3KeysKind and S3KeysID name the S3 access keys actor: entity s3/keys, holding every key and
// every grant of a key on a bucket.
const (
	S3KeysKind = "s3"
	S3KeysID   = "keys"
)

// Limits of the S3 keys.
const (
	MaxS3Keys     = 1000   // access keys on one node
	MaxS3Grants   = 10_000 // grants on one node, all keys together
	MaxS3KeyLabel = 64     // characters
	S3KeyIDLen    = 20     // characters of an access key id, as AWS's
	S3SecretLen   = 40     // characters of a secret access key, as AWS's
)

// The operations a grant may allow on a bucket.
const (
	S3OpRead   = "read"   // GET and HEAD of objects, listings
	S3OpWrite  = "write"  // PUT, copy and multipart uploads
	S3OpDelete = "delete" // DELETE of objects (and of the bucket, with write)
)

// S3Ops lists the grant operations in their canonical order.
var S3Ops = []string{S3OpRead, S3OpWrite, S3OpDelete}

// s3KeyIDPattern is what an access key id may be: 20 upper-case letters and digits.
var s3KeyIDPattern = regexp.MustCompile(`^[A-Z0-9]{20}$`)

// S3KeyPurpose is the master-key sealing purpose of access key id's secret.
func S3KeyPurpose(id string) string { return S3KeysKind + "/key/" + id }

// CheckS3KeyID accepts an access key id: 20 upper-case letters and digits.
func CheckS3KeyID(field, id string) error {
	if !s3KeyIDPattern.MatchString(id) {
		return Invalid(field, "%q is not an access key id (20 upper-case letters and digits)", id)
	}
	return nil
}

// CheckS3Ops validates ops and returns them without duplicates, in canonical order.
func CheckS3Ops(ops []string) ([]string, error) {
	if len(ops) == 0 {
		return nil, Invalid("ops", "name at least one of read, write, delete")
	}
	out := make([]string, 0, len(S3Ops))
	for _, op := range S3Ops {
		if slices.Contains(ops, op) {
			out = append(out, op)
		}
	}
	for _, op := range ops {
		if !slices.Contains(S3Ops, op) {
			return nil, Invalid("ops", "%q is not an operation: want read, write or delete", op)
		}
	}
	return out, nil
}

// S3Key is an access key as listed: never its secret.
type S3Key struct {
	AccessKeyID      string `json:"access_key_id"`
	Label            string `json:"label"`
	CanCreateBuckets bool   `json:"can_create_buckets"`
	CreatedMs        int64  `json:"created_at_ms"`
}

// S3Grant lets one key do ops on one bucket (a vault's S3 alias, existing or not yet).
type S3Grant struct {
	KeyID  string   `json:"key_id"`
	Bucket string   `json:"bucket"`
	Ops    []string `json:"ops"`
}

// CreateS3Key stores a new access key. The caller makes ID and the secret (randomness is an
// input) and seals the secret with the node keyring, purpose S3KeyPurpose(ID).
type CreateS3Key struct {
	ID               string
	Label            string
	SealedSecret     []byte
	CanCreateBuckets bool
}

// ListS3Keys asks for every access key, by id; the answer is S3KeyList.
type ListS3Keys struct{}

// S3KeyList answers ListS3Keys.
type S3KeyList struct{ Keys []S3Key }

// DeleteS3Key removes an access key and all its grants; the answer is S3KeyDeleted.
type DeleteS3Key struct{ ID string }

// S3KeyDeleted answers DeleteS3Key: the key and how many grants went with it.
type S3KeyDeleted struct {
	ID     string
	Grants int
}

// GrantS3 sets the ops of KeyID on Bucket, replacing what was granted (PUT /s3/permissions);
// the answer is the S3Grant stored.
type GrantS3 S3Grant

// RevokeS3 removes the grant of KeyID on Bucket; the answer is the S3Grant removed.
type RevokeS3 struct {
	KeyID  string `json:"key_id"`
	Bucket string `json:"bucket"`
}

// ListS3Grants asks for the grants, of one key when KeyID is set, by key then bucket; the
// answer is S3GrantList.
type ListS3Grants struct{ KeyID string }

// S3GrantList answers ListS3Grants.
type S3GrantList struct{ Grants []S3Grant }

// LookupS3Key asks what the S3 gateway needs to verify and authorize a request signed with
// access key ID: the answer is S3KeyAccess, or ErrNotFound ("S3 access key not found").
type LookupS3Key struct{ ID string }

// S3KeyAccess answers LookupS3Key: the key, its sealed secret and its grants, by bucket.
type S3KeyAccess struct {
	Key          S3Key
	SealedSecret []byte
	Grants       []S3Grant
}

// Allows reports whether the key may do op on bucket.
func (a S3KeyAccess) Allows(bucket, op string) bool {
	for _, g := range a.Grants {
		if g.Bucket == bucket {
			return slices.Contains(g.Ops, op)
		}
	}
	return false
}
