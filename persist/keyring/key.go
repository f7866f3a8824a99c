package keyring

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// keySize is the master key's length: AES-256.
const keySize = 32

// Errors of obtaining the master key; each is wrapped with what to do about it.
var (
	// ErrMissingKey means the provider has no master key to give: an unset variable, a missing key file.
	ErrMissingKey = errors.New("keyring: master key not available")
	// ErrMalformedKey means the key is there but is not 32 bytes written as 64 hex characters.
	ErrMalformedKey = errors.New("keyring: malformed master key")
	// ErrInsecureKeyFile refuses a key file that other users may read or write.
	ErrInsecureKeyFile = errors.New("keyring: key file is accessible to group or others")
)

// newKey returns a fresh random master key.
func newKey() (*[keySize]byte, error) {
	var k [keySize]byte
	if _, err := rand.Read(k[:]); err != nil {
		return nil, fmt.Errorf("keyring: generate master key: %w", err)
	}
	return &k, nil
}

// parseHexKey decodes a master key written as 64 hex characters, surrounding space allowed.
// Its errors never quote the input, which may be almost all key.
func parseHexKey(s string) (*[keySize]byte, error) {
	s = strings.TrimSpace(s)
	var k [keySize]byte
	if len(s) != 2*keySize {
		return nil, ErrMalformedKey
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return nil, ErrMalformedKey // hex's error names the offending character
	}
	return &k, nil
}
