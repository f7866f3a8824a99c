package vaultcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"hash"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// BlockOverhead is how many bytes a sealed block has beyond its plaintext (the GCM tag).
const BlockOverhead = 16

// BlockSealer seals the blocks of one vault. It reuses its keyed-hash state, so it belongs to
// one goroutine at a time; give each worker its own.
type BlockSealer struct {
	mac hash.Hash
	sum [32]byte
}

// NewBlockSealer prepares a sealer for the vault key.
func NewBlockSealer(key messages.VaultKey) *BlockSealer {
	kb := subkey(key, purposeBlock)
	return &BlockSealer{mac: hmac.New(sha256.New, kb[:])}
}

// String keeps the keyed state out of logs.
func (*BlockSealer) String() string { return "vaultcrypt.BlockSealer(" + messages.Redacted + ")" }

// Format keeps the keyed state out of every fmt verb.
func (s *BlockSealer) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// Secret is the block's convergent secret: HMAC-SHA256(HKDF(vault key, "meshhold/block"), plaintext).
func (s *BlockSealer) Secret(plaintext []byte) [32]byte {
	s.mac.Reset()
	s.mac.Write(plaintext)
	s.mac.Sum(s.sum[:0])
	return s.sum
}

// Seal appends the block's ciphertext to dst and returns it with the block's reference
// (address = SHA-256 of the ciphertext, plaintext size, secret). dst may be a reused buffer
// (dst[:0]) but must not overlap plaintext.
func (s *BlockSealer) Seal(dst, plaintext []byte) ([]byte, messages.BlockRef) {
	secret := s.Secret(plaintext)
	out := blockAEAD(secret).Seal(dst, blockNonce(secret), plaintext, nil)
	ct := out[len(dst):]
	return out, messages.BlockRef{Addr: sha256.Sum256(ct), Size: uint32(len(plaintext)), Secret: secret}
}

// SealBlock seals one block with a one-off sealer: convenient, not for hot loops.
func SealBlock(key messages.VaultKey, plaintext []byte) ([]byte, messages.BlockRef) {
	return NewBlockSealer(key).Seal(nil, plaintext)
}

// OpenBlock checks the ciphertext against ref's address, then decrypts and authenticates it.
// A mismatching address is persist.ErrBlockMissing (such a block counts as missing); a block
// that does not authenticate under ref's secret is ErrCorrupt.
func OpenBlock(ref messages.BlockRef, ciphertext []byte) ([]byte, error) {
	if len(ciphertext) == 0 || sha256.Sum256(ciphertext) != ref.Addr {
		return nil, fmt.Errorf("block %s: content does not match its address: %w", ref.Addr, persist.ErrBlockMissing)
	}
	return DecryptBlock(nil, ref, ciphertext)
}

// DecryptBlock appends the plaintext of a block to dst after authenticating it under ref's
// secret. It does not hash the ciphertext: use it on bytes a persist.BlockStore read already
// verified against ref.Addr. dst may be ciphertext[:0] to decrypt in place.
func DecryptBlock(dst []byte, ref messages.BlockRef, ciphertext []byte) ([]byte, error) {
	if len(ciphertext) != int(ref.Size)+BlockOverhead {
		return nil, fmt.Errorf("block %s: %d bytes sealed for %d plaintext: %w", ref.Addr, len(ciphertext), ref.Size, ErrCorrupt)
	}
	out, err := blockAEAD(ref.Secret).Open(dst, blockNonce(ref.Secret), ciphertext, nil)
	if err != nil {
		return nil, fmt.Errorf("block %s: %w", ref.Addr, ErrCorrupt)
	}
	return out, nil
}

// blockAEAD is AES-256-GCM under SHA-256("meshhold/block/key" ‖ secret).
func blockAEAD(secret [32]byte) cipher.AEAD {
	k := derive("meshhold/block/key", secret)
	b, err := aes.NewCipher(k[:])
	if err != nil {
		panic("vaultcrypt: " + err.Error()) // a 32-byte key is always valid
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic("vaultcrypt: " + err.Error())
	}
	return g
}

// blockNonce is SHA-256("meshhold/block/nonce" ‖ secret)[:12].
func blockNonce(secret [32]byte) []byte {
	n := derive("meshhold/block/nonce", secret)
	return n[:12]
}

func derive(label string, secret [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(label))
	h.Write(secret[:])
	return [32]byte(h.Sum(nil))
}
