// Package swarmkey reads, writes and generates the swarm key: the libp2p private-network
// pre-shared key (PSK) that gates the mesh, in the 3-line text format go-libp2p reads:
//
//	/key/swarm/psk/1.0.0/
//	/base16/
//	<64 hex characters>
//
// A Key is a secret. Text gives the 3-line form for config.yaml; String, Format, LogValue,
// MarshalJSON and MarshalText all redact it, showing only its Fingerprint.
package swarmkey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Size is the length of a swarm key in bytes.
const Size = 32

// The lines of the text format.
const (
	// Header is the first line: the multicodec path of a V1 PSK.
	Header = "/key/swarm/psk/1.0.0/"
	// Base16 is the second line: the only encoding this package writes and reads.
	Base16 = "/base16/"
)

// ErrInvalid is wrapped by every Parse error.
var ErrInvalid = errors.New("swarmkey: invalid swarm key")

// Key is a 32-byte swarm key. The zero Key is all zero bytes; use Generate or Parse.
type Key struct {
	b [Size]byte
}

// Generate returns a new random key from crypto/rand.
func Generate() (Key, error) {
	var k Key
	if _, err := rand.Read(k.b[:]); err != nil {
		return Key{}, fmt.Errorf("swarmkey: generate: %w", err)
	}
	return k, nil
}

// FromBytes returns the key made of b, which must be exactly 32 bytes.
func FromBytes(b []byte) (Key, error) {
	var k Key
	if len(b) != Size {
		return Key{}, fmt.Errorf("%w: key is %d bytes, want %d", ErrInvalid, len(b), Size)
	}
	copy(k.b[:], b)
	return k, nil
}

// Text returns the secret 3-line text form with a trailing newline, as written to config.yaml.
func (k Key) Text() string {
	return Header + "\n" + Base16 + "\n" + hex.EncodeToString(k.b[:]) + "\n"
}

// Bytes returns a copy of the 32 secret bytes (what go-libp2p's pnet.PSK holds).
func (k Key) Bytes() []byte {
	return append([]byte(nil), k.b[:]...)
}

// Fingerprint identifies the key without revealing it: the first 8 bytes of its SHA-256, in hex.
func (k Key) Fingerprint() string {
	sum := sha256.Sum256(k.b[:])
	return hex.EncodeToString(sum[:8])
}

// Equal reports whether k and other are the same key.
func (k Key) Equal(other Key) bool { return k.b == other.b }

// Parse reads the 3-line text form. It tolerates surrounding whitespace, a trailing newline,
// CRLF line ends and indented lines; only the /base16/ encoding is accepted.
func Parse(text string) (Key, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Key{}, fmt.Errorf("%w: empty", ErrInvalid)
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l) // also drops the \r of CRLF
	}
	if len(lines) != 3 {
		return Key{}, fmt.Errorf("%w: got %d lines, want 3 (%s, %s, 64 hex characters)",
			ErrInvalid, len(lines), Header, Base16)
	}
	if lines[0] != Header {
		return Key{}, fmt.Errorf("%w: wrong header line %s, want %s", ErrInvalid, describe(lines[0]), Header)
	}
	switch enc := lines[1]; enc {
	case Base16:
	case "/base64/", "/bin/":
		return Key{}, fmt.Errorf("%w: unsupported encoding %s, only %s is supported", ErrInvalid, enc, Base16)
	default:
		return Key{}, fmt.Errorf("%w: unknown encoding line %s, want %s", ErrInvalid, describe(enc), Base16)
	}
	return decodeHex(lines[2])
}

// decodeHex decodes the key line; its errors never echo the line, which may be a real key.
func decodeHex(s string) (Key, error) {
	if len(s) != 2*Size {
		return Key{}, fmt.Errorf("%w: key line is %d characters, want %d hex characters", ErrInvalid, len(s), 2*Size)
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return Key{}, fmt.Errorf("%w: key line is not hex: invalid character at position %d", ErrInvalid, i+1)
		}
	}
	var k Key
	if _, err := hex.Decode(k.b[:], []byte(s)); err != nil {
		return Key{}, fmt.Errorf("%w: key line is not hex: %v", ErrInvalid, err)
	}
	return k, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// describe quotes a header-like line for an error, but not one that could be key material
// (a pasted key in the wrong order): format lines start with "/".
func describe(line string) string {
	if !strings.HasPrefix(line, "/") {
		return fmt.Sprintf("(%d characters, not starting with /)", len(line))
	}
	if r := []rune(line); len(r) > 40 {
		line = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", line)
}
