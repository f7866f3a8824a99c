package vaultcrypt

import (
	"errors"
	"testing"
)

var cheap = KDFCosts{Time: 1, MemoryKiB: 8 << 10, Threads: 1}

func TestWrapRoundTripAndWrongPassword(t *testing.T) {
	key, salt := NewKey(), NewSalt()
	kek, err := DeriveKEK("pa55word", salt, cheap)
	if err != nil {
		t.Fatal(err)
	}
	w1, w2 := WrapKey(kek, key), WrapKey(kek, key)
	if string(w1) == string(w2) {
		t.Fatal("two wraps share a nonce")
	}
	if len(w1) != WrappedKeySize {
		t.Fatalf("wrapped size %d", len(w1))
	}
	got, err := UnwrapKey(kek, w1)
	if err != nil || got != key {
		t.Fatalf("unwrap: %v", err)
	}
	wrong, _ := DeriveKEK("password", salt, cheap)
	if _, err := UnwrapKey(wrong, w1); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	bad := append([]byte(nil), w1...)
	bad[20] ^= 1
	if _, err := UnwrapKey(kek, bad); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("tampered wrap: %v", err)
	}
	if _, err := UnwrapKey(kek, w1[:40]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated wrap: %v", err)
	}
}

func TestKDFCostsBounded(t *testing.T) {
	if err := DefaultKDFCosts.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []KDFCosts{{0, 8 << 10, 1}, {1, 1 << 10, 1}, {1, 4 << 20, 1}, {1, 8 << 10, 0}, {99, 8 << 10, 1}} {
		if _, err := DeriveKEK("x", NewSalt(), c); err == nil {
			t.Errorf("costs %+v accepted", c)
		}
	}
	if _, err := DeriveKEK("x", []byte("short"), cheap); err == nil {
		t.Error("short salt accepted")
	}
}
