package memblocks

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockgc"
)

var _ blockgc.Store = (*Store)(nil)

// clock is a settable clock for modification times.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newClocked() (*Store, *clock) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	return New(WithClock(c.now)), c
}

func blk(i int) ([]byte, persist.Address) {
	data := []byte(fmt.Sprintf("block %d ciphertext", i))
	return data, persist.AddressOf(data)
}

func mustPut(t *testing.T, s *Store, data []byte) persist.Address {
	t.Helper()
	a := persist.AddressOf(data)
	if err := s.Put(a, data); err != nil {
		t.Fatal(err)
	}
	return a
}

func isMissing(t *testing.T, s *Store, a persist.Address) bool {
	t.Helper()
	_, err := s.Get(a)
	if err != nil && !errors.Is(err, persist.ErrBlockMissing) {
		t.Fatalf("get %s: %v", a, err)
	}
	_, rerr := s.ReadBlock(a, nil)
	if (err == nil) != (rerr == nil) {
		t.Fatalf("Get says %v, ReadBlock says %v", err, rerr)
	}
	return err != nil
}

func TestPutGetHasDelete(t *testing.T) {
	s, _ := newClocked()
	data, a := blk(1)
	if ok, _ := s.Has(a); ok || !isMissing(t, s, a) {
		t.Fatal("missing block found")
	}
	mustPut(t, s, data)
	data[0] = 'X' // the store keeps its own copy
	got, err := s.Get(a)
	if err != nil || string(got) != "block 1 ciphertext" {
		t.Fatalf("get = %q, %v", got, err)
	}
	got[0] = 'Y' // and hands out copies
	if ok, _ := s.Has(a); !ok || isMissing(t, s, a) {
		t.Fatal("block lost")
	}
	if err := s.Delete(a); err != nil || !isMissing(t, s, a) {
		t.Fatal("delete kept the block")
	}
	if err := s.Delete(a); err != nil {
		t.Fatalf("deleting a missing block: %v", err)
	}
}

func TestGetVerifiesAddress(t *testing.T) {
	s := New()
	_, a := blk(1)
	if err := s.Put(a, []byte("something else")); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Has(a); !ok {
		t.Fatal("Has looks at the size only, like the real store")
	}
	if !isMissing(t, s, a) {
		t.Fatal("a block not matching its address was served")
	}
	empty := persist.AddressOf(nil)
	_ = s.Put(empty, nil)
	if ok, _ := s.Has(empty); ok || !isMissing(t, s, empty) {
		t.Fatal("an empty block file counts as present")
	}
}

func TestPutIsIdempotentAndRepairs(t *testing.T) {
	s, c := newClocked()
	data, a := blk(1)
	mustPut(t, s, data)
	first, _, _ := s.ModTime(a)
	c.t = c.t.Add(time.Hour)
	mustPut(t, s, data)
	if again, _, _ := s.ModTime(a); !again.Equal(first) {
		t.Fatal("a Put of a present block rewrote it")
	}
	// A file of the wrong size (a torn survivor) is rewritten.
	s.cur[a] = &block{data: data[:3], mod: first}
	mustPut(t, s, data)
	if isMissing(t, s, a) {
		t.Fatal("Put did not repair a short file")
	}
	if mod, _, _ := s.ModTime(a); !mod.Equal(c.t) {
		t.Fatal("a repairing Put kept the old time")
	}
}

func TestReadBlockReusesBuffer(t *testing.T) {
	s := New()
	data, a := blk(1)
	mustPut(t, s, data)
	buf := make([]byte, 0, 64)
	got, err := s.ReadBlock(a, buf)
	if err != nil || !bytes.Equal(got, data) || &got[:1][0] != &buf[:1][0] {
		t.Fatalf("ReadBlock = %q, %v (own buffer: %v)", got, err, &got[:1][0] == &buf[:1][0])
	}
	if got, err := s.ReadBlock(a, make([]byte, 2)); err != nil || !bytes.Equal(got, data) {
		t.Fatal("ReadBlock did not grow a small buffer")
	}
}

func TestWalkModTimeTouch(t *testing.T) {
	s, c := newClocked()
	var addrs []persist.Address
	for i := range 20 {
		data, _ := blk(i)
		addrs = append(addrs, mustPut(t, s, data))
		c.t = c.t.Add(time.Second)
	}
	var walked []persist.Address
	err := s.Walk(func(a persist.Address, mod time.Time) error {
		if len(walked) > 0 && bytes.Compare(walked[len(walked)-1][:], a[:]) >= 0 {
			t.Fatal("walk out of address order")
		}
		if m, ok, _ := s.ModTime(a); !ok || !m.Equal(mod) {
			t.Fatal("walk time differs from ModTime")
		}
		walked = append(walked, a)
		return s.Delete(a) // fn may call the store, as the collector does
	})
	if err != nil || len(walked) != 20 {
		t.Fatalf("walked %d: %v", len(walked), err)
	}
	stop := errors.New("stop")
	data, a := blk(100)
	mustPut(t, s, data)
	if err := s.Walk(func(persist.Address, time.Time) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("walk error = %v", err)
	}
	c.t = c.t.Add(time.Hour)
	if err := s.Touch(a); err != nil {
		t.Fatal(err)
	}
	if m, ok, _ := s.ModTime(a); !ok || !m.Equal(c.t) {
		t.Fatal("touch did not set the time")
	}
	if err := s.Touch(addrs[0]); err != nil {
		t.Fatalf("touching a missing block: %v", err)
	}
	if _, ok, err := s.ModTime(addrs[0]); ok || err != nil {
		t.Fatal("ModTime of a missing block")
	}
}
