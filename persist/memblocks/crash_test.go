package memblocks

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/meshhold/meshhold/persist"
)

func TestCrashCopyKeepsExactlySynced(t *testing.T) {
	s, c := newClocked()
	d1, a1 := blk(1)
	d2, a2 := blk(2)
	d3, a3 := blk(3)
	mustPut(t, s, d1)
	mustPut(t, s, d2)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	synced, _, _ := s.ModTime(a1)
	mustPut(t, s, d3)        // unsynced put: lost
	_ = s.Delete(a2)         // unsynced delete: the block comes back
	c.t = c.t.Add(time.Hour) // unsynced touch: the old time comes back
	_ = s.Touch(a1)
	if s.Unsynced() != 3 {
		t.Fatalf("unsynced = %d", s.Unsynced())
	}
	cc := s.CrashCopy()
	if !cc.isPresent(a1) || !cc.isPresent(a2) || cc.isPresent(a3) {
		t.Fatal("crash copy is not the synced state")
	}
	if m, _, _ := cc.ModTime(a1); !m.Equal(synced) {
		t.Fatal("an unsynced touch survived")
	}
	if cc.Unsynced() != 0 || !cc.Durable(a1) {
		t.Fatal("a crash copy's files are not durable")
	}
	// The original goes on, and the copy is independent of it.
	if !s.isPresent(a3) || s.isPresent(a2) {
		t.Fatal("CrashCopy changed the original")
	}
	_ = cc.Delete(a1)
	if !s.isPresent(a1) {
		t.Fatal("the copy shares files with the original")
	}
}

func TestCrashKillsOriginal(t *testing.T) {
	s := New()
	d1, a1 := blk(1)
	mustPut(t, s, d1)
	_ = s.Sync()
	c := s.Crash()
	checks := map[string]error{
		"put":    s.Put(a1, d1),
		"delete": s.Delete(a1),
		"touch":  s.Touch(a1),
		"sync":   s.Sync(),
		"walk":   s.Walk(func(persist.Address, time.Time) error { return nil }),
	}
	_, checks["get"] = s.Get(a1)
	_, checks["has"] = s.Has(a1)
	_, _, checks["modtime"] = s.ModTime(a1)
	for name, err := range checks {
		if !errors.Is(err, ErrCrashed) {
			t.Errorf("%s after crash: %v", name, err)
		}
	}
	if !c.isPresent(a1) {
		t.Fatal("crash copy lost a synced block")
	}
}

func TestSurvivalIntact(t *testing.T) {
	s := New()
	d1, a1 := blk(1)
	d2, a2 := blk(2)
	mustPut(t, s, d1)
	_ = s.Sync()
	mustPut(t, s, d2)
	_ = s.Delete(a1)
	s.Faults().SurviveCrash(Survival{Intact: 1})
	c := s.CrashCopy()
	if c.isPresent(a1) || !c.isPresent(a2) {
		t.Fatal("Intact=1 did not keep every unsynced change")
	}
}

func TestSurvivalEmpty(t *testing.T) {
	s := New()
	d1, a1 := blk(1)
	mustPut(t, s, d1)
	s.Faults().SurviveCrash(Survival{Empty: 1})
	c := s.CrashCopy()
	if ok, _ := c.Has(a1); ok || c.isPresent(a1) {
		t.Fatal("an empty survivor reads as present")
	}
	if _, ok, _ := c.ModTime(a1); !ok {
		t.Fatal("an empty survivor is not a file")
	}
	mustPut(t, c, d1) // a new upload of the same block repairs it
	if !c.isPresent(a1) {
		t.Fatal("Put did not repair an empty file")
	}
	if s.Faults().Fired().SurvivedEmpty != 1 {
		t.Fatal("not counted")
	}
}

func TestSurvivalTorn(t *testing.T) {
	s := New()
	d1, a1 := blk(1)
	mustPut(t, s, d1)
	s.Faults().SurviveCrash(Survival{Torn: 1})
	c := s.CrashCopy()
	if ok, _ := c.Has(a1); !ok {
		t.Fatal("a torn survivor has data, so Has reports it")
	}
	if c.isPresent(a1) {
		t.Fatal("a torn block was served")
	}
	// A synced block is never damaged by a crash, and an unsynced Touch only keeps or loses
	// its time.
	_ = c.Sync()
	mustPut(t, c, d1)
	_ = c.Sync()
	_ = c.Touch(a1)
	if cc := c.CrashCopy(); !cc.isPresent(a1) {
		t.Fatal("a crash damaged a synced block")
	}
}

func TestSurvivalIsSeeded(t *testing.T) {
	run := func() (out []bool) {
		s := New()
		s.Faults().SetRand(rand.New(rand.NewPCG(9, 9)))
		s.Faults().SurviveCrash(Survival{Intact: 0.3, Empty: 0.2, Torn: 0.2})
		var addrs []persist.Address
		for i := range 100 {
			data, _ := blk(i)
			addrs = append(addrs, mustPut(t, s, data))
		}
		c := s.CrashCopy()
		for _, a := range addrs {
			out = append(out, c.isPresent(a))
		}
		f := s.Faults().Fired()
		if f.Survived == 0 || f.SurvivedEmpty == 0 || f.SurvivedTorn == 0 {
			t.Fatalf("fired %+v", f)
		}
		return out
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed, different survivors")
		}
	}
}
