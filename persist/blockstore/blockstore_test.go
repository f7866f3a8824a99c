package blockstore

import (
	"errors"
	"os"
	"testing"

	"github.com/meshhold/meshhold/persist"
)

func TestPutGetVerifies(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("ciphertext of a block")
	a := persist.AddressOf(data)
	if err := s.Put(a, data); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(a, data); err != nil { // idempotent
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(a)
	if err != nil || string(got) != string(data) {
		t.Fatalf("get: %q %v", got, err)
	}
	if ok, _ := s.Has(a); !ok {
		t.Fatal("Has = false after Put")
	}

	for name, content := range map[string][]byte{"flipped": []byte("ciphertext of a blocK"), "empty": {}} {
		if err := os.WriteFile(s.path(a), content, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(a); !errors.Is(err, persist.ErrBlockMissing) {
			t.Errorf("%s block file: err = %v, want ErrBlockMissing", name, err)
		}
	}
	if err := s.Delete(a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(a); !errors.Is(err, persist.ErrBlockMissing) {
		t.Fatalf("deleted block: %v", err)
	}
}
