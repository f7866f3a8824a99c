package messages

import (
	"encoding/hex"
	"fmt"
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
