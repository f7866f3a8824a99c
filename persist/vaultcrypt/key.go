package vaultcrypt

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"

	"github.com/meshhold/meshhold/messages"
)

// ErrCorrupt reports sealed bytes that do not authenticate under the key they claim.
var ErrCorrupt = errors.New("vaultcrypt: data does not authenticate")

// NewKey returns a fresh random vault key (crypto/rand).
func NewKey() messages.VaultKey {
	var k messages.VaultKey
	_, _ = rand.Read(k[:]) // crypto/rand.Read never fails (it crashes the program instead)
	return k
}

// Purposes of the subkeys derived from a vault key, one per format, so that no output of one
// format is ever usable as a key of another.
const (
	purposeBlock  = "meshhold/block"
	purposeRecord = "meshhold/record"
)

// subkey derives a 32-byte key for one purpose: HKDF-SHA256(vault key, salt = none, info = purpose).
func subkey(key messages.VaultKey, purpose string) [32]byte {
	out, err := hkdf.Key(sha256.New, key[:], nil, purpose, 32)
	if err != nil {
		panic("vaultcrypt: hkdf: " + err.Error()) // only for lengths > 255*32
	}
	return [32]byte(out)
}
