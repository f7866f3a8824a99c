package vaultcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime/debug"

	"golang.org/x/crypto/argon2"

	"github.com/meshhold/meshhold/messages"
)

// ErrWrongPassword reports a wrapped key that does not open with the derived key: the
// password is wrong (or the wrap was altered).
var ErrWrongPassword = errors.New("vaultcrypt: wrong password")

// KDFCosts are argon2id's parameters, stored beside the salt in the vault's meta record.
type KDFCosts struct {
	Time      uint32 `json:"time"`       // passes over memory
	MemoryKiB uint32 `json:"memory_kib"` // memory in KiB
	Threads   uint8  `json:"threads"`    // lanes
}

// DefaultKDFCosts is RFC 9106's second recommended setting (64 MiB, 3 passes) with 2 lanes,
// ≈ 0.15 s on this project's 2-core reference machine.
var DefaultKDFCosts = KDFCosts{Time: 3, MemoryKiB: 64 << 10, Threads: 2}

// Validate bounds the costs, so a tampered meta record cannot make an unlock exhaust memory.
func (c KDFCosts) Validate() error {
	switch {
	case c.Time < 1 || c.Time > 16:
		return fmt.Errorf("vaultcrypt: argon2id time %d: want 1–16", c.Time)
	case c.MemoryKiB < 8<<10 || c.MemoryKiB > 1<<20:
		return fmt.Errorf("vaultcrypt: argon2id memory %d KiB: want 8 MiB–1 GiB", c.MemoryKiB)
	case c.Threads < 1 || c.Threads > 16:
		return fmt.Errorf("vaultcrypt: argon2id threads %d: want 1–16", c.Threads)
	}
	return nil
}

// KEK is a key-encryption key derived from a password; it prints redacted.
type KEK [32]byte

// String keeps the key out of fmt and logs.
func (KEK) String() string { return messages.Redacted }

// Format keeps the key out of every fmt verb.
func (KEK) Format(f fmt.State, _ rune) { fmt.Fprint(f, messages.Redacted) }

// MarshalText keeps the key out of JSON and YAML.
func (KEK) MarshalText() ([]byte, error) { return []byte(messages.Redacted), nil }

// SaltSize is the length of a password salt.
const SaltSize = 16

// NewSalt returns a random salt for DeriveKEK.
func NewSalt() []byte {
	s := make([]byte, SaltSize)
	_, _ = rand.Read(s)
	return s
}

// DeriveKEK is argon2id(password, salt, costs) → 32 bytes. Slow on purpose: never call it
// inside an actor's turn.
func DeriveKEK(password string, salt []byte, c KDFCosts) (KEK, error) {
	defer debug.FreeOSMemory() // argon2id just used its memory cost: give it back now
	if err := c.Validate(); err != nil {
		return KEK{}, err
	}
	if len(salt) < 16 {
		return KEK{}, fmt.Errorf("vaultcrypt: salt of %d bytes: want at least 16", len(salt))
	}
	return KEK(argon2.IDKey([]byte(password), salt, c.Time, c.MemoryKiB, c.Threads, 32)), nil
}

// wrapV1 opens a wrapped key; wrapAAD binds the ciphertext to its purpose.
const (
	wrapV1  = 0x01
	wrapAAD = "meshhold/vault-key-wrap/v1"
)

// WrappedKeySize is the length of WrapKey's output: version ‖ nonce ‖ key ‖ tag.
const WrappedKeySize = 1 + 12 + 32 + 16

// WrapKey seals a vault key under a KEK: 0x01 ‖ nonce ‖ AES-256-GCM(kek, nonce, key,
// aad "meshhold/vault-key-wrap/v1"), with a random nonce.
func WrapKey(kek KEK, key messages.VaultKey) []byte {
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	return wrapWithNonce(kek, key, nonce)
}

func wrapWithNonce(kek KEK, key messages.VaultKey, nonce [12]byte) []byte {
	out := make([]byte, 0, WrappedKeySize)
	out = append(out, wrapV1)
	out = append(out, nonce[:]...)
	return kekAEAD(kek).Seal(out, nonce[:], key[:], []byte(wrapAAD))
}

// UnwrapKey opens a wrapped vault key; a wrong password is ErrWrongPassword.
func UnwrapKey(kek KEK, wrapped []byte) (messages.VaultKey, error) {
	if len(wrapped) != WrappedKeySize || wrapped[0] != wrapV1 {
		return messages.VaultKey{}, fmt.Errorf("vaultcrypt: not a version 1 wrapped key: %w", ErrCorrupt)
	}
	pt, err := kekAEAD(kek).Open(nil, wrapped[1:13], wrapped[13:], []byte(wrapAAD))
	if err != nil {
		return messages.VaultKey{}, ErrWrongPassword
	}
	return messages.VaultKey(pt), nil
}

func kekAEAD(kek KEK) cipher.AEAD {
	b, err := aes.NewCipher(kek[:])
	if err != nil {
		panic("vaultcrypt: " + err.Error())
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic("vaultcrypt: " + err.Error())
	}
	return g
}
