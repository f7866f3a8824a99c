package vaultcrypt

import (
	"errors"
	"testing"
)

func TestRecordDeterministicAndTamper(t *testing.T) {
	key := testKey(6)
	a, b := SealRecord(key, []byte("record")), SealRecord(key, []byte("record"))
	if string(a) != string(b) {
		t.Fatal("sealing is not deterministic")
	}
	if string(a) == string(SealRecord(testKey(7), []byte("record"))) {
		t.Fatal("two vaults seal a record identically")
	}
	if len(a) != len("record")+RecordOverhead {
		t.Fatalf("sealed length %d", len(a))
	}
	for i := range a {
		bad := append([]byte(nil), a...)
		bad[i] ^= 0x20
		if _, err := OpenRecord(key, bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d flipped: %v, want ErrCorrupt", i, err)
		}
	}
	if _, err := OpenRecord(key, a[:RecordOverhead-1]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := OpenRecord(testKey(7), a); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("wrong key: %v", err)
	}
	pt, err := NewRecordCipher(key).Open(a)
	if err != nil || string(pt) != "record" {
		t.Fatalf("open: %q %v", pt, err)
	}
}
