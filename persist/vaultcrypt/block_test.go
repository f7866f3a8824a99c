package vaultcrypt

import (
	"errors"
	"testing"

	"github.com/meshhold/meshhold/persist"
)

func TestBlockConvergentWithinVaultOnly(t *testing.T) {
	pt := []byte("same bytes")
	a1, r1 := SealBlock(testKey(1), pt)
	a2, r2 := SealBlock(testKey(1), pt)
	_, r3 := SealBlock(testKey(2), pt)
	if string(a1) != string(a2) || r1 != r2 {
		t.Fatal("same vault, same plaintext: blocks differ")
	}
	if r1.Addr == r3.Addr || r1.Secret == r3.Secret {
		t.Fatal("two vaults share a block address")
	}
}

// A file's content hash (shown as an ETag) must never be a block's secret, or it would decrypt
// the block of any one-block file.
func TestContentHashIsNotABlockSecret(t *testing.T) {
	key, pt := testKey(1), []byte("a small file stored as one block")
	_, ref := SealBlock(key, pt)
	if ContentHash(key, pt) == ref.Secret {
		t.Fatal("content hash equals the block secret")
	}
}

func TestSealerReuse(t *testing.T) {
	s := NewBlockSealer(testKey(4))
	buf := make([]byte, 0, 64)
	for _, text := range []string{"one", "two", "three"} {
		ct, ref := s.Seal(buf[:0], []byte(text))
		want, wantRef := SealBlock(testKey(4), []byte(text))
		if string(ct) != string(want) || ref != wantRef {
			t.Fatalf("reused sealer differs on %q", text)
		}
	}
}

func TestOpenBlockTamper(t *testing.T) {
	ct, ref := SealBlock(testKey(5), []byte("sensitive block contents"))
	if _, err := OpenBlock(ref, ct); err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), ct...)
	flipped[3] ^= 1
	if _, err := OpenBlock(ref, flipped); !errors.Is(err, persist.ErrBlockMissing) {
		t.Errorf("flipped ciphertext: %v, want ErrBlockMissing", err)
	}
	if _, err := OpenBlock(ref, nil); !errors.Is(err, persist.ErrBlockMissing) {
		t.Errorf("empty ciphertext: %v, want ErrBlockMissing", err)
	}
	// Bytes whose address matches but that do not authenticate under the secret: a manifest
	// naming the wrong secret, or a forged ciphertext under its own address.
	bad := ref
	bad.Secret[0] ^= 1
	if _, err := OpenBlock(bad, ct); !errors.Is(err, ErrCorrupt) {
		t.Errorf("wrong secret: %v, want ErrCorrupt", err)
	}
	short := ref
	short.Size--
	if _, err := DecryptBlock(nil, short, ct); !errors.Is(err, ErrCorrupt) {
		t.Errorf("wrong size: %v, want ErrCorrupt", err)
	}
	// In place.
	buf := append([]byte(nil), ct...)
	pt, err := DecryptBlock(buf[:0], ref, buf)
	if err != nil || string(pt) != "sensitive block contents" {
		t.Fatalf("in place: %q %v", pt, err)
	}
}
