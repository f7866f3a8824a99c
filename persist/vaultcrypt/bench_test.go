package vaultcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"testing"
	"time"
)

// BenchmarkSealVsPrimitives seals 4 MiB blocks through BlockSealer and, in the same run, calls
// the same primitives back to back by hand (HMAC-SHA256 → two SHA-256 derivations → AES-256-GCM
// → SHA-256 of the ciphertext); it reports both rates and the ratio (target ≥ 0.9×).
func BenchmarkSealVsPrimitives(b *testing.B) {
	pt := make([]byte, 4<<20)
	for i := range pt {
		pt[i] = byte(i * 31)
	}
	key := testKey(1)
	sealer := NewBlockSealer(key)
	ct := make([]byte, 0, len(pt)+BlockOverhead)
	kb := subkey(key, purposeBlock)
	mac := hmac.New(sha256.New, kb[:])
	primitives := func() {
		mac.Reset()
		mac.Write(pt)
		s := mac.Sum(nil)
		k := sha256.Sum256(append([]byte("meshhold/block/key"), s...))
		n := sha256.Sum256(append([]byte("meshhold/block/nonce"), s...))
		blk, _ := aes.NewCipher(k[:])
		g, _ := cipher.NewGCM(blk)
		out := g.Seal(ct[:0], n[:12], pt, nil)
		_ = sha256.Sum256(out)
	}
	var tSeal, tPrim time.Duration
	for i := 0; b.Loop(); i++ {
		// alternate which runs first, so drift on a shared machine hits both alike
		t0 := time.Now()
		if i%2 == 0 {
			sealer.Seal(ct[:0], pt)
			t1 := time.Now()
			primitives()
			tSeal, tPrim = tSeal+t1.Sub(t0), tPrim+time.Since(t1)
		} else {
			primitives()
			t1 := time.Now()
			sealer.Seal(ct[:0], pt)
			tPrim, tSeal = tPrim+t1.Sub(t0), tSeal+time.Since(t1)
		}
	}
	n := float64(b.N) * float64(len(pt))
	b.ReportMetric(n/tSeal.Seconds()/1e9, "seal-GB/s")
	b.ReportMetric(n/tPrim.Seconds()/1e9, "primitives-GB/s")
	b.ReportMetric(tPrim.Seconds()/tSeal.Seconds(), "x-primitives")
}

// BenchmarkRecordSealOpen is the vault core's per-version cost of sealing and opening a record.
func BenchmarkRecordSealOpen(b *testing.B) {
	c := NewRecordCipher(testKey(2))
	rec := make([]byte, 300)
	for b.Loop() {
		if _, err := c.Open(c.Seal(rec)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeriveKEK is the cost of one unlock with the default argon2id costs.
func BenchmarkDeriveKEK(b *testing.B) {
	salt := NewSalt()
	for b.Loop() {
		if _, err := DeriveKEK("password", salt, DefaultKDFCosts); err != nil {
			b.Fatal(err)
		}
	}
}
