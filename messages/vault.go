package messages

import (
	"encoding/hex"
	"fmt"
	"slices"
)

// Vault kinds: one registry (entity vaults/registry) owns every vault's metadata (name, alias,
// sealed key, folder); one actor per vault (entity vault/<id>) owns its catalog.
const (
	VaultsKind = "vaults"
	RegistryID = "registry"
	VaultKind  = "vault"
)

// VaultKey is a vault's 32-byte key. It never leaves the daemon, never goes to config.yaml and
// prints redacted.
type VaultKey [32]byte

// String keeps the key out of fmt and logs.
func (VaultKey) String() string { return Redacted }

// GoString keeps the key out of %#v.
func (VaultKey) GoString() string { return "messages.VaultKey(" + Redacted + ")" }

// Format keeps the key out of every fmt verb.
func (k VaultKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, Redacted) }

// MarshalText keeps the key out of JSON and YAML.
func (VaultKey) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// BlockAddr is a block's address: the SHA-256 of its ciphertext.
type BlockAddr [32]byte

// String is 64 lowercase hex characters.
func (a BlockAddr) String() string { return hex.EncodeToString(a[:]) }

// BlockRef is one block of a file version, in order: where it is, how much plaintext it holds,
// and the convergent secret (HMAC-SHA256 of its plaintext under the vault key) from which its
// AES-GCM key and nonce derive.
type BlockRef struct {
	Addr   BlockAddr
	Size   uint32
	Secret [32]byte
}

// Manifest is what an upload produced: the blocks, the plaintext size and hashes.
type Manifest struct {
	Blocks      []BlockRef
	Size        int64
	ContentHash [32]byte // HMAC-SHA256 of the plaintext under the vault key
	MD5         [16]byte // for S3 ETags
}

// VaultPolicy is the replicated policy record's content (config.yaml only seeds it).
type VaultPolicy struct {
	ReplicationFactor int   `json:"replication_factor"`
	HardQuota         int64 `json:"hard_quota"`          // bytes of retained versions; 0 = none
	KeepVersions      int   `json:"keep_versions"`       // versions kept per path; 0 = all
	KeepDeletedForMs  int64 `json:"keep_deleted_for_ms"` // history of deleted paths; 0 = forever
	Version           int64 `json:"policy_version"`      // rises with every change
}

// The policy a new vault gets for the seed fields left at zero (docs/vaults.md): a seed cannot
// ask for "all versions" or "forever"; SetPolicy can, with 0.
const (
	DefaultReplicationFactor = 2
	DefaultKeepVersions      = 10
	DefaultKeepDeletedForMs  = 30 * 24 * 60 * 60 * 1000 // 30 days
	MaxReplicationFactor     = 16
)

// WithDefaults fills the fields a creation seed leaves at zero (hard_quota 0 stays: no quota).
func (p VaultPolicy) WithDefaults() VaultPolicy {
	if p.ReplicationFactor == 0 {
		p.ReplicationFactor = DefaultReplicationFactor
	}
	if p.KeepVersions == 0 {
		p.KeepVersions = DefaultKeepVersions
	}
	if p.KeepDeletedForMs == 0 {
		p.KeepDeletedForMs = DefaultKeepDeletedForMs
	}
	return p
}

// Check validates a policy, naming the first field at fault.
func (p VaultPolicy) Check() error {
	switch {
	case p.ReplicationFactor < 0 || p.ReplicationFactor > MaxReplicationFactor:
		return Invalid("replication_factor", "%d is out of range: want 1 to %d", p.ReplicationFactor, MaxReplicationFactor)
	case p.HardQuota < 0:
		return Invalid("hard_quota", "must not be negative")
	case p.KeepVersions < 0:
		return Invalid("keep_versions", "must not be negative")
	case p.KeepDeletedForMs < 0:
		return Invalid("keep_deleted_for", "must not be negative")
	}
	return nil
}

// VaultKeyPurpose is the master-key sealing purpose of vault id's key.
func VaultKeyPurpose(id string) string { return VaultKind + "/" + id }

// KeyWrap is a password vault's key wrap, computed outside the actors: argon2id(password,
// Salt, Time, MemoryKiB, Threads) derives a key-encryption key; Wrapped is nonce ‖ AES-256-GCM
// of the vault key under it.
type KeyWrap struct {
	Salt      []byte
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
	Wrapped   []byte
}

// Vault role flags (PATCH /vaults/:id): what else the node does with the vault.
const (
	RoleMedia = "media" // the media library indexes it
	RoleS3    = "s3"    // the S3 gateway serves it
	// RoleHold is the one role of an untrusted vault: this node stores and serves its sealed
	// records and blocks (VaultMeta.Hold). Without it the node only knows of the vault.
	RoleHold = "hold"
)

// CheckUntrustedRoles accepts the roles an untrusted vault may have: none, or RoleHold.
func CheckUntrustedRoles(roles []string) error {
	for i, r := range roles {
		if r != RoleHold {
			return Invalid("roles", "%q is not a role of an untrusted vault: its only role is %q (hold its ciphertext); [] lets it go", r, RoleHold)
		}
		if slices.Contains(roles[:i], r) {
			return Invalid("roles", "%q is given twice", r)
		}
	}
	return nil
}

// CheckRoles accepts known role flags, each at most once.
func CheckRoles(roles []string) error {
	for i, r := range roles {
		if r != RoleMedia && r != RoleS3 {
			return Invalid("roles", "%q is not a role: want %q or %q", r, RoleMedia, RoleS3)
		}
		if slices.Contains(roles[:i], r) {
			return Invalid("roles", "%q is given twice", r)
		}
	}
	return nil
}

// QuotaError is the 507 answer: the upload would take the vault past its hard quota.
type QuotaError struct {
	VaultID     string `json:"vault_id"`
	HardQuota   int64  `json:"hard_quota"`
	WouldBeSize int64  `json:"would_be_size"`
}

func (e *QuotaError) Error() string { return "vault quota exceeded" }

// ErrQuota matches every *QuotaError.
var ErrQuota = fmt.Errorf("vault quota exceeded")

// Is makes errors.Is(err, ErrQuota) hold.
func (e *QuotaError) Is(target error) bool { return target == ErrQuota }

// FileInfo is the FileJSON of the reference: a path's shown head (the head committed last).
// Listings leave Meta, Parents and Blocks out; StatFile fills Blocks, and Versions on request.
type FileInfo struct {
	Path         string            `json:"path"`
	Size         int64             `json:"size"`
	ContentHash  string            `json:"content_hash"`
	MD5          string            `json:"md5"`
	ContentType  string            `json:"content_type"`
	Meta         map[string]string `json:"meta,omitempty"`
	MtimeMs      int64             `json:"mtime_ms"`
	Author       string            `json:"author"`
	Version      string            `json:"version"`           // the version's addr, hex
	Parents      []string          `json:"parents,omitempty"` // parent version addrs, hex
	Heads        []string          `json:"heads"`             // head version addrs, hex, sorted
	Conflict     bool              `json:"conflict"`          // more than one head
	Deleted      bool              `json:"deleted"`
	UpdatedMs    int64             `json:"updated_ms"`
	VersionCount int               `json:"version_count"`
	Blocks       []string          `json:"blocks,omitempty"`   // block addrs, hex, in order
	Versions     []VersionInfo     `json:"versions,omitempty"` // the retained DAG, newest first
}

// VersionInfo is one retained version of a path: a node of its DAG.
type VersionInfo struct {
	Version     string   `json:"version"`
	ContentHash string   `json:"content_hash"`
	MD5         string   `json:"md5"`
	Size        int64    `json:"size"`
	ContentType string   `json:"content_type"`
	MtimeMs     int64    `json:"mtime_ms"`
	Author      string   `json:"author"`
	CreatedMs   int64    `json:"created_ms"`
	Deleted     bool     `json:"deleted"`
	Parents     []string `json:"parents"`
	Head        bool     `json:"head"`
}
