package identity

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// xorSealer stands in for the keyring's AEAD in this unit test; the keyring has its own tests.
type xorSealer struct{ opened int }

func (x *xorSealer) Seal(_ string, p []byte) ([]byte, error) { return xor(p), nil }
func (x *xorSealer) Open(_ string, s []byte) ([]byte, error) { x.opened++; return xor(s), nil }

func xor(b []byte) []byte {
	out := bytes.Clone(b)
	for i := range out {
		out[i] ^= 0x5a
	}
	return out
}

// The identity is created once, stored sealed, and the same peer id comes back after a restart.
func TestIdentitySurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), boltdb.FileName)
	store, err := boltdb.Open(path, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &xorSealer{}
	_, first, err := LoadOrCreate(store, s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	store, err = boltdb.Open(path, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	_, again, err := LoadOrCreate(store, s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if first != again || s.opened != 1 {
		t.Fatalf("peer id %s then %s (opened %d times)", first, again, s.opened)
	}
	_ = persist.ReadWith(store, func(v persist.View) error {
		rec, _ := v.Get(persist.Meta, Key)
		if len(rec) == 0 {
			t.Fatal("no identity record")
		}
		return nil
	})
}
