package keyring

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Sealed format: version (1 byte) ‖ nonce (12 bytes) ‖ AES-256-GCM ciphertext and tag. The
// key is HKDF-SHA256(master key, salt hkdfSalt, info purpose); the AAD is version ‖ purpose.
const (
	formatV1  byte = 1
	nonceSize      = 12
	tagSize        = 16
	headerLen      = 1 + nonceSize
)

// hkdfSalt separates these subkeys from any other use of the master key.
var hkdfSalt = []byte("meshhold/at-rest/v1")

// maxCachedPurposes bounds the per-purpose cipher cache; past it ciphers are derived per call.
const maxCachedPurposes = 1024

// ErrSealedInvalid means sealed data did not open: another master key, another purpose, or
// altered bytes. It is wrapped with the purpose.
var ErrSealedInvalid = errors.New("keyring: sealed data cannot be opened (wrong master key, wrong purpose or tampered)")

// errEmptyPurpose refuses a call without a purpose.
var errEmptyPurpose = errors.New("keyring: empty purpose")

// Seal encrypts plaintext for purpose; only Open with the same purpose and master key reads
// it. Disabled, it returns a copy of plaintext.
func (k *Keyring) Seal(purpose string, plaintext []byte) ([]byte, error) {
	if purpose == "" {
		return nil, errEmptyPurpose
	}
	if !k.enabled {
		return bytes.Clone(plaintext), nil
	}
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	out := make([]byte, headerLen, headerLen+len(plaintext)+tagSize)
	out[0] = formatV1
	if _, err := rand.Read(out[1:headerLen]); err != nil {
		return nil, fmt.Errorf("keyring: seal %q: nonce: %w", purpose, err)
	}
	return aead.Seal(out, out[1:headerLen], plaintext, aad(formatV1, purpose)), nil
}

// Open decrypts what Seal sealed for purpose, or fails with ErrSealedInvalid. Disabled, it
// returns a copy of sealed.
func (k *Keyring) Open(purpose string, sealed []byte) ([]byte, error) {
	if purpose == "" {
		return nil, errEmptyPurpose
	}
	if !k.enabled {
		return bytes.Clone(sealed), nil
	}
	if len(sealed) < headerLen+tagSize {
		return nil, fmt.Errorf("%w: purpose %q: %d bytes is too short", ErrSealedInvalid, purpose, len(sealed))
	}
	if sealed[0] != formatV1 {
		return nil, fmt.Errorf("%w: purpose %q: unknown format version %d", ErrSealedInvalid, purpose, sealed[0])
	}
	aead, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, sealed[1:headerLen], sealed[headerLen:], aad(formatV1, purpose))
	if err != nil {
		return nil, fmt.Errorf("%w: purpose %q", ErrSealedInvalid, purpose)
	}
	return pt, nil
}

func aad(version byte, purpose string) []byte {
	return append([]byte{version}, purpose...)
}

// aead returns purpose's cipher, deriving and caching it on first use.
func (k *Keyring) aead(purpose string) (cipher.AEAD, error) {
	k.mu.RLock()
	a, ok := k.aeads[purpose]
	k.mu.RUnlock()
	if ok {
		return a, nil
	}
	sub, err := hkdf.Key(sha256.New, k.master[:], hkdfSalt, purpose, keySize)
	if err != nil {
		return nil, fmt.Errorf("keyring: derive key for %q: %w", purpose, err)
	}
	defer clear(sub)
	block, err := aes.NewCipher(sub)
	if err != nil {
		return nil, fmt.Errorf("keyring: cipher for %q: %w", purpose, err)
	}
	a, err = cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keyring: cipher for %q: %w", purpose, err)
	}
	k.mu.Lock()
	if len(k.aeads) < maxCachedPurposes {
		k.aeads[purpose] = a
	}
	k.mu.Unlock()
	return a, nil
}
