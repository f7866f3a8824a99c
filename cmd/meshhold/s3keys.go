package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/meshhold/meshhold/actors/s3keys"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/s3/sigv4"
	"github.com/meshhold/meshhold/messages"
)

// startS3Keys registers the S3 access keys actor (entity s3/keys) and builds its admin routes
// (GET/POST /s3/keys, DELETE /s3/keys/:key_id, GET/PUT/DELETE /s3/permissions). They do not
// depend on the S3 listener: keys and grants can be prepared while it is off.
func (d *daemon) startS3Keys() error {
	mgr, err := d.node.Register(messages.S3KeysKind, s3keys.Load)
	if err != nil {
		return err
	}
	d.s3keys = &api.S3Keys{Actors: d.system.Actors, Keys: mgr, Sealer: d.keys}
	return nil
}

// s3KeysRoutes are the s3 admin routes; 503 until startS3Keys ran (the route tests' daemon).
func (d *daemon) s3KeysRoutes() []api.Route {
	if d.s3keys == nil {
		return (&api.S3Keys{}).Routes()
	}
	return d.s3keys.Routes()
}

// s3Access asks the keys actor about keyID: an error wrapping sigv4.ErrUnknownAccessKey for an
// unknown key; any other failure (logged) is passed on, so the request fails as unavailable
// rather than as bad credentials (clients give up on the latter for good).
func (d *daemon) s3Access(ctx context.Context, keyID string) (messages.S3KeyAccess, error) {
	if d.s3keys == nil {
		return messages.S3KeyAccess{}, fmt.Errorf("s3: the keys are not running: %w", messages.ErrUnavailable)
	}
	acc, err := d.s3keys.Lookup(ctx, keyID)
	switch {
	case errors.Is(err, messages.ErrNotFound):
		return messages.S3KeyAccess{}, fmt.Errorf("s3 key %s: %w", keyID, sigv4.ErrUnknownAccessKey)
	case err != nil:
		d.log.Warn("s3: look up an access key", "key_id", keyID, "err", err)
		return messages.S3KeyAccess{}, err
	}
	return acc, nil
}

// s3Key is access key keyID as the gateway uses it: from the cache while no key or grant
// changed, else asked of the keys actor with its secret opened (and kept). The error wraps
// sigv4.ErrUnknownAccessKey for an unknown or deleted key.
func (d *daemon) s3Key(keyID string) (s3CachedKey, error) {
	e, gen, ok := d.s3cache.key(keyID)
	if ok {
		return e, nil
	}
	acc, err := d.s3Access(context.Background(), keyID)
	if err != nil {
		return s3CachedKey{}, err
	}
	plain, err := d.keys.Open(messages.S3KeyPurpose(keyID), acc.SealedSecret)
	if err != nil {
		d.log.Error("s3: open an access key's secret", "key_id", keyID, "err", err)
		return s3CachedKey{}, fmt.Errorf("s3 key %s: its secret does not open: %w", keyID, err)
	}
	e = s3CachedKey{acc: acc, secret: string(plain)}
	d.s3cache.put(keyID, gen, e)
	return e, nil
}

// s3Lookup is what the S3 gateway verifies a signature with: the secret of access key keyID,
// opened with the node keyring, and whether the key may create buckets; the error wraps
// sigv4.ErrUnknownAccessKey for an unknown or deleted key.
func (d *daemon) s3Lookup(keyID string) (secret string, canCreate bool, err error) {
	e, err := d.s3Key(keyID)
	return e.secret, e.acc.Key.CanCreateBuckets, err
}

// s3Allowed reports whether access key keyID holds op (messages.S3OpRead, S3OpWrite or
// S3OpDelete) on bucket.
func (d *daemon) s3Allowed(keyID, bucket, op string) bool {
	e, err := d.s3Key(keyID)
	return err == nil && e.acc.Allows(bucket, op)
}

// s3Buckets lists the buckets access key keyID holds a grant on (ListBuckets shows only those).
func (d *daemon) s3Buckets(keyID string) []string {
	e, _ := d.s3Key(keyID)
	out := make([]string, 0, len(e.acc.Grants))
	for _, g := range e.acc.Grants {
		out = append(out, g.Bucket)
	}
	return out
}

// s3GrantAll gives keyID every op on bucket: CreateBucket does it for the key that created it.
func (d *daemon) s3GrantAll(ctx context.Context, keyID, bucket string) error {
	if d.s3keys == nil {
		return fmt.Errorf("s3: grant %s on %s: %w", keyID, bucket, messages.ErrUnavailable)
	}
	_, err := d.s3keys.Grant(ctx, messages.GrantS3{KeyID: keyID, Bucket: bucket, Ops: messages.S3Ops})
	if err != nil {
		return fmt.Errorf("s3: grant %s on %s: %w", keyID, bucket, err)
	}
	return nil
}
