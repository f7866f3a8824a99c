package memstore

import (
	"errors"
	"math/rand/v2"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/persist"
)

func TestFailNthCommit(t *testing.T) {
	s := New()
	s.Faults().FailNthCommit(2)
	if err := s.Commit([]persist.Write{put("a", "1")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit([]persist.Write{put("a", "2"), put("b", "2")}); !errors.Is(err, ErrInjected) {
		t.Fatalf("second commit: %v", err)
	}
	if get(t, s, "a") != "1" || get(t, s, "b") != "" || s.Commits() != 1 {
		t.Fatal("the failed commit applied something")
	}
	if err := s.Commit([]persist.Write{put("a", "3")}); err != nil {
		t.Fatalf("third commit: %v", err)
	}
	if f := s.Faults().Fired(); f.Failed != 1 {
		t.Fatalf("fired %+v", f)
	}
}

func TestFailWithENOSPC(t *testing.T) {
	s := New()
	s.Faults().FailWithENOSPC()
	for range 3 {
		err := s.Commit([]persist.Write{put("a", "1")})
		if !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, ErrNoSpace) {
			t.Fatalf("err = %v", err)
		}
	}
	if get(t, s, "a") != "" || s.Commits() != 0 {
		t.Fatal("a commit on a full disk applied")
	}
	s.Faults().FreeSpace()
	if err := s.Commit([]persist.Write{put("a", "1")}); err != nil {
		t.Fatal(err)
	}
	if f := s.Faults().Fired(); f.NoSpace != 3 || f.Failed != 3 {
		t.Fatalf("fired %+v", f)
	}
}

func TestFailRandomlyIsSeeded(t *testing.T) {
	pattern := func(seed uint64) (out []bool) {
		s := New()
		s.Faults().SetRand(rand.New(rand.NewPCG(seed, 1)))
		s.Faults().FailRandomly(0.3)
		for range 200 {
			out = append(out, s.Commit([]persist.Write{put("a", "1")}) != nil)
		}
		return out
	}
	a, b := pattern(7), pattern(7)
	fails := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different failure at commit %d", i)
		}
		if a[i] {
			fails++
		}
	}
	if fails < 30 || fails > 90 {
		t.Fatalf("%d of 200 failed at p=0.3", fails)
	}
}

func TestSlowCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New()
		s.Faults().SlowCommit(time.Second)
		start := time.Now()
		done := make(chan error)
		go func() { done <- s.Commit([]persist.Write{put("a", "1")}) }()
		synctest.Wait()
		if get(t, s, "a") != "" {
			t.Fatal("a slow commit was visible before its fsync ended")
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took != time.Second {
			t.Fatalf("commit took %v", took)
		}
		if get(t, s, "a") != "1" {
			t.Fatal("slow commit not applied")
		}
	})
}

func TestCrashDuringSlowCommitLosesIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New()
		if err := s.Commit([]persist.Write{put("a", "1")}); err != nil {
			t.Fatal(err)
		}
		s.Faults().SlowCommit(time.Second)
		done := make(chan error)
		go func() { done <- s.Commit([]persist.Write{put("a", "2")}) }()
		synctest.Wait() // the commit sleeps in its fsync
		c := s.Crash()
		if err := <-done; !errors.Is(err, ErrCrashed) {
			t.Fatalf("in-flight commit: %v", err)
		}
		if get(t, c, "a") != "1" || c.Commits() != 1 {
			t.Fatal("the crash copy holds the in-flight commit")
		}
	})
}

func TestSetSleep(t *testing.T) {
	s := New()
	var slept time.Duration
	s.Faults().SetSleep(func(d time.Duration) { slept += d })
	s.Faults().SlowCommit(time.Minute)
	_ = s.Commit(nil)
	_ = s.Commit(nil)
	if slept != 2*time.Minute || s.Faults().Fired().Slow != 2 {
		t.Fatalf("slept %v", slept)
	}
}

func TestReset(t *testing.T) {
	s := New()
	f := s.Faults()
	f.FailNthCommit(1)
	f.FailWithENOSPC()
	f.FailRandomly(1)
	f.TornLastCommit()
	f.Reset()
	if err := s.Commit([]persist.Write{put("a", "1")}); err != nil {
		t.Fatal(err)
	}
	if c := s.CrashCopy(); c.Commits() != 1 {
		t.Fatal("a reset tear still fired")
	}
}
