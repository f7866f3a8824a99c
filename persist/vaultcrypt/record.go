package vaultcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	"github.com/meshhold/meshhold/messages"
)

// recordV1 opens every sealed record: format version 1.
const recordV1 = 0x01

// RecordOverhead is how many bytes a sealed record has beyond its plaintext:
// version (1) ‖ nonce (12) ‖ … ‖ tag (16).
const RecordOverhead = 1 + 12 + 16

// RecordCipher seals version records deterministically (same key and plaintext → same bytes),
// so a pure core can seal without randomness and a record's address is stable. Safe for
// concurrent use.
type RecordCipher struct {
	key  [32]byte // HKDF(vault key, "meshhold/record")
	aead cipher.AEAD
}

// NewRecordCipher derives the record key of a vault.
func NewRecordCipher(key messages.VaultKey) *RecordCipher {
	rk := subkey(key, purposeRecord)
	b, err := aes.NewCipher(rk[:])
	if err != nil {
		panic("vaultcrypt: " + err.Error())
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic("vaultcrypt: " + err.Error())
	}
	return &RecordCipher{key: rk, aead: g}
}

// String keeps the key out of logs.
func (*RecordCipher) String() string { return "vaultcrypt.RecordCipher(" + messages.Redacted + ")" }

// Format keeps the key out of every fmt verb.
func (c *RecordCipher) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// Seal returns 0x01 ‖ nonce ‖ AES-256-GCM(record key, nonce, plaintext), nonce =
// HMAC-SHA256(record key, plaintext)[:12]. Pure: no randomness, no clock.
func (c *RecordCipher) Seal(plaintext []byte) []byte {
	nonce := c.nonce(plaintext)
	out := make([]byte, 0, RecordOverhead+len(plaintext))
	out = append(out, recordV1)
	out = append(out, nonce[:]...)
	return c.aead.Seal(out, nonce[:], plaintext, nil)
}

// Open authenticates and decrypts a sealed record, and checks its nonce is the one its
// plaintext implies; anything else is ErrCorrupt.
func (c *RecordCipher) Open(sealed []byte) ([]byte, error) {
	if len(sealed) < RecordOverhead || sealed[0] != recordV1 {
		return nil, fmt.Errorf("record: not a version 1 sealed record: %w", ErrCorrupt)
	}
	nonce := sealed[1:13]
	pt, err := c.aead.Open(nil, nonce, sealed[13:], nil)
	if err != nil {
		return nil, fmt.Errorf("record: %w", ErrCorrupt)
	}
	if want := c.nonce(pt); !hmac.Equal(want[:], nonce) {
		return nil, fmt.Errorf("record: nonce is not derived from the plaintext: %w", ErrCorrupt)
	}
	return pt, nil
}

func (c *RecordCipher) nonce(plaintext []byte) [12]byte {
	m := hmac.New(sha256.New, c.key[:])
	m.Write(plaintext)
	return [12]byte(m.Sum(nil))
}

// SealRecord seals one record with a one-off RecordCipher (see RecordCipher.Seal).
func SealRecord(key messages.VaultKey, plaintext []byte) []byte {
	return NewRecordCipher(key).Seal(plaintext)
}

// OpenRecord opens one record with a one-off RecordCipher (see RecordCipher.Open).
func OpenRecord(key messages.VaultKey, sealed []byte) ([]byte, error) {
	return NewRecordCipher(key).Open(sealed)
}
