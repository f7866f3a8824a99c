package blockstore

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/meshhold/meshhold/persist"
)

func TestReadBlockReusesAndVerifies(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 3*hashChunk+5)
	for i := range data {
		data[i] = byte(i * 7)
	}
	a := persist.AddressOf(data)
	if err := s.Put(a, data); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, len(data))
	got, err := s.ReadBlock(a, buf)
	if err != nil || string(got) != string(data) || &got[0] != &buf[:1][0] {
		t.Fatalf("ReadBlock: err %v, same storage %v", err, err == nil && &got[0] == &buf[:1][0])
	}
	if got, err := s.ReadBlock(a, nil); err != nil || len(got) != len(data) {
		t.Fatalf("ReadBlock into nil: %v", err)
	}
	bad := append([]byte(nil), data...)
	bad[len(bad)-1] ^= 1
	for name, content := range map[string][]byte{"flipped": bad, "empty": {}, "truncated": data[:10]} {
		if err := os.WriteFile(s.path(a), content, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReadBlock(a, buf); !errors.Is(err, persist.ErrBlockMissing) {
			t.Errorf("%s: %v, want ErrBlockMissing", name, err)
		}
	}
	if _, err := s.ReadBlock(persist.AddressOf([]byte("absent")), buf); !errors.Is(err, persist.ErrBlockMissing) {
		t.Errorf("absent: %v", err)
	}
}

func TestWalkAndTouch(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := map[persist.Address]bool{}
	for _, text := range []string{"a", "b", "c"} {
		a := persist.AddressOf([]byte(text))
		want[a] = true
		if err := s.Put(a, []byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	a := persist.AddressOf([]byte("a"))
	if err := os.Chtimes(s.path(a), old, old); err != nil {
		t.Fatal(err)
	}
	seen := map[persist.Address]time.Time{}
	var prev string
	if err := s.Walk(func(a persist.Address, mod time.Time) error {
		if a.String() <= prev {
			t.Errorf("walk order: %s after %s", a, prev)
		}
		prev = a.String()
		seen[a] = mod
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(want) || !seen[a].Before(time.Now().Add(-time.Hour)) {
		t.Fatalf("walk saw %v", seen)
	}
	if err := s.Touch(a); err != nil {
		t.Fatal(err)
	}
	_ = s.Walk(func(b persist.Address, mod time.Time) error { seen[b] = mod; return nil })
	if seen[a].Before(time.Now().Add(-time.Minute)) {
		t.Fatal("Touch did not refresh the modification time")
	}
	if err := s.Touch(persist.AddressOf([]byte("absent"))); err != nil {
		t.Fatal(err)
	}
}
