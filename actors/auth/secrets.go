package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Bearer prefixes tell a session from an API token or a bootstrap ticket at a glance (and let
// secret scanners find leaked ones).
const (
	SessionPrefix = "mhs_"
	TokenPrefix   = "mht_"
	TicketPrefix  = "mhb_"
)

// Mint returns a fresh secret with prefix (32 random bytes, base64url) and its hash.
func Mint(prefix string) (secret, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, Hash(secret)
}

// NewID returns a random 16-hex-character id.
func NewID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Hash is the stored form of a secret: hex SHA-256. Secrets carry 256 random bits, so a fast
// hash suffices; only the password needs argon2id.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	return hex.EncodeToString(sum[:])
}
