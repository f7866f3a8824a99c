package memblocks

import (
	"errors"
	"math/rand/v2"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/persist"
)

func TestFlipBitOnRead(t *testing.T) {
	s := New()
	data, a := blk(1)
	mustPut(t, s, data)
	other, b := blk(2)
	mustPut(t, s, other)
	s.Faults().FlipBitOnRead(a)
	for range 5 {
		if !isMissing(t, s, a) {
			t.Fatal("a flipped block was served")
		}
	}
	if ok, _ := s.Has(a); !ok {
		t.Fatal("a flipped block's file vanished")
	}
	if isMissing(t, s, b) {
		t.Fatal("the fault hit another block")
	}
	if got := s.Faults().Fired().FlippedReads; got != 10 {
		t.Fatalf("flipped %d reads", got)
	}
	s.Faults().HealReads()
	if isMissing(t, s, a) {
		t.Fatal("healed block still corrupt")
	}
}

func TestFlipBitsRandomly(t *testing.T) {
	s := New()
	s.Faults().SetRand(rand.New(rand.NewPCG(5, 5)))
	data, a := blk(1)
	mustPut(t, s, data)
	s.Faults().FlipBitsRandomly(0.5)
	bad := 0
	for range 200 {
		if _, err := s.Get(a); err != nil {
			bad++
		}
	}
	if bad < 60 || bad > 140 || s.Faults().Fired().FlippedReads != bad {
		t.Fatalf("%d of 200 reads corrupt at p=0.5", bad)
	}
	s.Faults().FlipBitsRandomly(0)
	if isMissing(t, s, a) {
		t.Fatal("p=0 still flips")
	}
}

func TestEmptyOnRead(t *testing.T) {
	s := New()
	data, a := blk(1)
	mustPut(t, s, data)
	s.Faults().EmptyOnRead(a)
	if ok, _ := s.Has(a); ok || !isMissing(t, s, a) {
		t.Fatal("an empty file was served")
	}
	if _, ok, _ := s.ModTime(a); !ok {
		t.Fatal("the empty file is not listed")
	}
	s.Faults().HealReads()
	if ok, _ := s.Has(a); !ok || isMissing(t, s, a) {
		t.Fatal("not healed")
	}
}

func TestNoSpaceAfter(t *testing.T) {
	s := New()
	d1, _ := blk(1) // 18 bytes each
	d2, _ := blk(2)
	d3, a3 := blk(3)
	s.Faults().NoSpaceAfter(int64(2*len(d1) + 5))
	mustPut(t, s, d1)
	mustPut(t, s, d2)
	mustPut(t, s, d1) // present: writes nothing
	err := s.Put(a3, d3)
	if !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, ErrNoSpace) {
		t.Fatalf("put on a full disk: %v", err)
	}
	if ok, _ := s.Has(a3); ok {
		t.Fatal("a refused Put stored the block")
	}
	mustPut(t, s, []byte("tiny")) // 4 of the 5 bytes left
	s.Faults().FreeSpace()
	mustPut(t, s, d3)
	if s.Faults().Fired().NoSpace != 1 {
		t.Fatal("ENOSPC not counted")
	}
}

func TestFailNthPutAndSync(t *testing.T) {
	s := New()
	s.Faults().FailNthPut(2)
	d1, a1 := blk(1)
	d2, a2 := blk(2)
	mustPut(t, s, d1)
	if err := s.Put(a2, d2); !errors.Is(err, ErrInjected) {
		t.Fatalf("second put: %v", err)
	}
	if ok, _ := s.Has(a2); ok {
		t.Fatal("a failed Put stored the block")
	}
	s.Faults().FailNthSync(1)
	if err := s.Sync(); !errors.Is(err, ErrInjected) {
		t.Fatalf("sync: %v", err)
	}
	if s.Durable(a1) || s.CrashCopy().isPresent(a1) {
		t.Fatal("a failed Sync made a block durable")
	}
	if err := s.Sync(); err != nil || !s.Durable(a1) || !s.CrashCopy().isPresent(a1) {
		t.Fatal("the next Sync did not make it durable")
	}
	if f := s.Faults().Fired(); f.FailedPuts != 1 || f.FailedSyncs != 1 {
		t.Fatalf("fired %+v", f)
	}
}

func TestSlowSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New()
		d1, a1 := blk(1)
		mustPut(t, s, d1)
		s.Faults().SlowSync(time.Second)
		start := time.Now()
		done := make(chan error)
		go func() { done <- s.Sync() }()
		synctest.Wait() // Sync sleeps: Puts go on, and are not covered by it
		d2, a2 := blk(2)
		mustPut(t, s, d2)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took != time.Second {
			t.Fatalf("sync took %v", took)
		}
		if !s.Durable(a1) || s.Durable(a2) {
			t.Fatal("sync covered the wrong puts")
		}
		if err := s.Sync(); err != nil || !s.Durable(a2) {
			t.Fatal("second sync")
		}
		start = time.Now()
		if err := s.Sync(); err != nil || time.Since(start) != 0 {
			t.Fatal("a Sync with nothing to sync waited")
		}
	})
}

func TestCrashDuringSlowSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New()
		d1, a1 := blk(1)
		mustPut(t, s, d1)
		s.Faults().SlowSync(time.Second)
		done := make(chan error)
		go func() { done <- s.Sync() }()
		synctest.Wait()
		c := s.Crash()
		if err := <-done; !errors.Is(err, ErrCrashed) {
			t.Fatalf("in-flight sync: %v", err)
		}
		if c.isPresent(a1) {
			t.Fatal("a Sync that never finished made its block durable")
		}
	})
}

func TestReset(t *testing.T) {
	s := New()
	d1, a1 := blk(1)
	mustPut(t, s, d1)
	f := s.Faults()
	f.FlipBitOnRead(a1)
	f.NoSpaceAfter(0)
	f.FailNthPut(1)
	f.FailNthSync(1)
	f.SurviveCrash(Survival{Empty: 1})
	f.Reset()
	d2, a2 := blk(2)
	mustPut(t, s, d2)
	if isMissing(t, s, a1) || s.Sync() != nil || !s.CrashCopy().isPresent(a2) {
		t.Fatal("a fault outlived Reset")
	}
}

// isPresent reports whether a reads back whole.
func (s *Store) isPresent(a persist.Address) bool {
	_, err := s.Get(a)
	return err == nil
}
