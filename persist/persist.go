// Package persist defines the storage seams every host and view uses: a read-only View of
// records (get and ordered prefix scan with a cursor), Writes grouped into one durable commit,
// and the content-addressed BlockStore. Implementations: boltdb (production), memstore
// (simulations, with fault injection), blockstore (block files). No actor touches bbolt directly.
package persist

import "errors"

// Bucket names one domain's records (one bbolt bucket each). Buckets are created by the
// store's migrations; writing to an unknown bucket fails the commit.
type Bucket string

// The buckets of the runtime spine. Later domains add theirs with a migration.
const (
	// Meta holds node-wide singletons: schema version, log_seq, identity, node info, key check.
	Meta Bucket = "meta"
	// Events is the node's bounded event log, keyed by big-endian log_seq.
	Events Bucket = "events"
	// Seqs holds each entity's last event seq, keyed by entity name.
	Seqs Bucket = "seqs"
	// Auth holds the password, sessions, API tokens and bootstrap tickets (actors/auth).
	Auth Bucket = "auth"
	// Audit is the audit ring (actors/audit): hash-chained records keyed by big-endian seq.
	Audit Bucket = "audit"
	// Profile holds the node's profile (actors/profile).
	Profile Bucket = "profile"
	// Contacts holds the contact list (actors/contacts).
	Contacts Bucket = "contacts"
	// Settings holds the runtime settings set away from their defaults (actors/settings).
	Settings Bucket = "settings"
	// Vaults holds every vault's metadata, keyed by vault id (actors/vault registry).
	Vaults Bucket = "vaults"
	// Catalog holds the vaults' catalogs, every key prefixed vault/<id>/ (actors/vault).
	Catalog Bucket = "catalog"
	// Networks holds the saved networks, the active one and held key rotations (actors/network).
	Networks Bucket = "networks"
	// Rooms holds the chat rooms this node joined or relays, keyed by room id (actors/room registry).
	Rooms Bucket = "rooms"
	// Chat holds the rooms' envelopes, indexes and counters, every key prefixed room/<id>/ (actors/room).
	Chat Bucket = "chat"
	// S3Keys holds the S3 access keys and their grants, every key prefixed s3/keys/ (actors/s3keys).
	S3Keys Bucket = "s3keys"
)

// Write is one record change; Delete removes Key.
type Write struct {
	Bucket Bucket
	Key    string
	Value  []byte
	Delete bool
}

// View is a consistent, read-only snapshot of records. Values passed to Scan's fn are valid
// only during the call; Get returns a copy.
type View interface {
	// Get returns the value at key, and whether it exists.
	Get(b Bucket, key string) ([]byte, bool)
	// Scan visits the keys that start with prefix and sort after the cursor `after` (all of
	// them when after is ""), in byte order, until fn returns false.
	Scan(b Bucket, prefix, after string, fn func(key string, val []byte) bool)
}

// Snapshot is a View held open until Release; hold it briefly (one actor turn).
type Snapshot interface {
	View
	Release()
}

// Committer makes a group of writes durable atomically: all of them or none.
type Committer interface {
	Commit(writes []Write) error
}

// Store is the node's record store.
type Store interface {
	Committer
	// Snapshot opens a consistent read view.
	Snapshot() (Snapshot, error)
	Close() error
}

// Versioned is a Store that counts its commits: a reader may cache what it read while the
// version stays the same, and re-read once any commit has happened since.
type Versioned interface {
	Version() uint64
}

// ErrUnknownBucket fails a commit that writes to a bucket no migration created.
var ErrUnknownBucket = errors.New("persist: unknown bucket")
