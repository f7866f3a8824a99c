package vaultcrypt

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"

	"github.com/meshhold/meshhold/messages"
)

// NewContentMAC returns the streamed content hash of a file: HMAC-SHA256 under the vault key
// itself over the whole plaintext. Without the key nobody can confirm a guessed file; blocks
// derive their secrets from a separate subkey, so a content hash never unlocks a block.
func NewContentMAC(key messages.VaultKey) hash.Hash { return hmac.New(sha256.New, key[:]) }

// ContentHash is NewContentMAC over data in one call.
func ContentHash(key messages.VaultKey, data []byte) [32]byte {
	m := NewContentMAC(key)
	m.Write(data)
	return [32]byte(m.Sum(nil))
}
