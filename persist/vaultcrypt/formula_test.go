package vaultcrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

func mustGCM(t *testing.T, key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestBlockFormula recomputes a block from the primitives as docs/vaults-bytes.md writes them.
func TestBlockFormula(t *testing.T) {
	key, pt := testKey(7), []byte("the quick brown fox")
	kb, _ := hkdf.Key(sha256.New, key[:], nil, "meshhold/block", 32)
	m := hmac.New(sha256.New, kb)
	m.Write(pt)
	s := m.Sum(nil)
	ak := sha256.Sum256(append([]byte("meshhold/block/key"), s...))
	nonce := sha256.Sum256(append([]byte("meshhold/block/nonce"), s...))
	ct := mustGCM(t, ak[:]).Seal(nil, nonce[:12], pt, nil)

	gotCT, ref := SealBlock(key, pt)
	if !bytes.Equal(gotCT, ct) || ref.Addr != sha256.Sum256(ct) || !bytes.Equal(ref.Secret[:], s) || ref.Size != uint32(len(pt)) {
		t.Fatalf("SealBlock differs from the documented formula")
	}
}

// TestRecordFormula recomputes a sealed record from the primitives.
func TestRecordFormula(t *testing.T) {
	key, pt := testKey(9), []byte("a version record")
	rk, _ := hkdf.Key(sha256.New, key[:], nil, "meshhold/record", 32)
	m := hmac.New(sha256.New, rk)
	m.Write(pt)
	nonce := m.Sum(nil)[:12]
	want := append([]byte{0x01}, nonce...)
	want = mustGCM(t, rk).Seal(want, nonce, pt, nil)
	if got := SealRecord(key, pt); !bytes.Equal(got, want) {
		t.Fatalf("SealRecord differs from the documented formula")
	}
}

// TestContentHashFormula: HMAC-SHA256 under the vault key itself.
func TestContentHashFormula(t *testing.T) {
	key, pt := testKey(3), []byte("file")
	m := hmac.New(sha256.New, key[:])
	m.Write(pt)
	if got := ContentHash(key, pt); !bytes.Equal(got[:], m.Sum(nil)) {
		t.Fatal("ContentHash differs from HMAC-SHA256(vault key, plaintext)")
	}
}
