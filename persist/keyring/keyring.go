// Package keyring protects the secrets MeshHold keeps in bbolt (node identity key, vault keys,
// tokens) with the node's master key: AES-256-GCM under a per-purpose subkey. The master key
// comes from a key file, an environment variable or a passphrase (at_rest_encryption in
// config.yaml); a KeyCheck record in the store proves at each start that it is the same key.
//
// Switching: the first start records its mode in the KeyCheck record, and later starts must
// agree. A different master key, enabling protection on a store created without it, or disabling
// it on a sealed store is refused with ErrKeyMismatch or ErrModeChanged, since secrets already
// written would no longer open (no re-sealing migration exists yet). The same key obtained from
// another provider — a key file's hex moved into MESHHOLD_MASTER_KEY — is accepted, and the
// record then names the new provider.
package keyring

import (
	"crypto/cipher"
	"fmt"
	"sync"

	"github.com/meshhold/meshhold/persist"
)

// Keyring seals and opens secrets with the node's master key. It is safe for concurrent use
// and never prints its key.
type Keyring struct {
	enabled  bool
	provider string
	master   *[keySize]byte

	mu    sync.RWMutex
	aeads map[string]cipher.AEAD
}

// Status is the at_rest part of /system/status.
type Status struct {
	Enabled  bool   `json:"enabled"`
	Provider string `json:"provider"`
}

// Open obtains the master key cfg names and checks it against the store's KeyCheck record,
// writing that record at the first start. A key other than the one the store was sealed with
// is refused, as is switching protection on or off on an existing store.
func Open(cfg Config, store persist.Store) (*Keyring, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	prev, err := readCheck(store)
	if err != nil {
		return nil, err
	}
	if !cfg.Enabled {
		return openDisabled(prev, store)
	}
	return openEnabled(cfg, prev, store)
}

func newKeyring(provider string, master *[keySize]byte) *Keyring {
	return &Keyring{enabled: true, provider: provider, master: master, aeads: map[string]cipher.AEAD{}}
}

// Status reports whether secrets are sealed and by which provider's key.
func (k *Keyring) Status() Status {
	return Status{Enabled: k.enabled, Provider: k.provider}
}

// String describes the keyring without its key, for logs and %v.
func (k *Keyring) String() string {
	if !k.enabled {
		return "keyring(disabled)"
	}
	return fmt.Sprintf("keyring(provider %s)", k.provider)
}

// GoString keeps the key out of %#v.
func (k *Keyring) GoString() string { return k.String() }
