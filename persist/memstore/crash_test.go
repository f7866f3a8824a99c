package memstore

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/meshhold/meshhold/persist"
)

func TestCrashCopyKeepsLastSuccessfulCommit(t *testing.T) {
	s := New()
	s.Buckets = []persist.Bucket{persist.Meta}
	_ = s.Commit([]persist.Write{put("a", "1")})
	_ = s.Commit([]persist.Write{put("b", "2")})
	s.Faults().FailNthCommit(1)
	_ = s.Commit([]persist.Write{put("c", "3")})
	c := s.CrashCopy()
	if get(t, c, "a") != "1" || get(t, c, "b") != "2" || get(t, c, "c") != "" || c.Commits() != 2 {
		t.Fatal("crash copy is not the last successful commit")
	}
	if err := c.Commit([]persist.Write{{Bucket: "nope", Key: "k"}}); !errors.Is(err, persist.ErrUnknownBucket) {
		t.Fatal("crash copy lost Buckets")
	}
	// The copy and the original are independent.
	_ = c.Commit([]persist.Write{put("d", "4")})
	_ = s.Commit([]persist.Write{put("e", "5")})
	if get(t, s, "d") != "" || get(t, c, "e") != "" {
		t.Fatal("crash copy shares state with its original")
	}
}

func TestCrashKillsOriginal(t *testing.T) {
	s := New()
	_ = s.Commit([]persist.Write{put("a", "1")})
	c := s.Crash()
	if err := s.Commit([]persist.Write{put("b", "2")}); !errors.Is(err, ErrCrashed) {
		t.Fatalf("commit after crash: %v", err)
	}
	if _, err := s.Snapshot(); !errors.Is(err, ErrCrashed) {
		t.Fatalf("snapshot after crash: %v", err)
	}
	if get(t, c, "a") != "1" || get(t, c, "b") != "" {
		t.Fatal("crash copy wrong")
	}
	if err := c.Commit([]persist.Write{put("b", "2")}); err != nil {
		t.Fatalf("restarted store refuses commits: %v", err)
	}
}

func TestTornLastCommitDropsItWhole(t *testing.T) {
	s := New()
	_ = s.Commit([]persist.Write{put("a", "1"), put("b", "1")})
	_ = s.Commit([]persist.Write{put("a", "2"), put("b", "2"), {Bucket: persist.Meta, Key: "c"}})
	s.Faults().TornLastCommit()
	c := s.CrashCopy()
	if get(t, c, "a") != "1" || get(t, c, "b") != "1" || c.Commits() != 1 {
		t.Fatalf("torn crash kept %q %q, commits %d", get(t, c, "a"), get(t, c, "b"), c.Commits())
	}
	if s.Faults().Fired().Torn != 1 {
		t.Fatal("tear not counted")
	}
	// One-shot, and a commit that survived a crash cannot be torn by the next one.
	if c2 := s.CrashCopy(); get(t, c2, "a") != "2" {
		t.Fatal("TornLastCommit fired twice")
	}
	s.Faults().TornLastCommit()
	if c3 := c.CrashCopy(); get(t, c3, "a") != "1" || c3.Commits() != 1 {
		t.Fatal("a crash copy tore a commit it did not make")
	}
}

func TestTornCrashesIsSeeded(t *testing.T) {
	pattern := func() (out []int) {
		s := New()
		s.Faults().SetRand(rand.New(rand.NewPCG(3, 3)))
		s.Faults().TornCrashes(0.5)
		for i := range 100 {
			_ = s.Commit([]persist.Write{put("a", "x")})
			c := s.CrashCopy()
			out = append(out, c.Commits())
			if c.Commits() != i && c.Commits() != i+1 {
				t.Fatalf("crash copy kept %d of %d commits", c.Commits(), i+1)
			}
		}
		return out
	}
	a, b := pattern(), pattern()
	torn := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed, different tears")
		}
		if a[i] == i {
			torn++
		}
	}
	if torn < 25 || torn > 75 {
		t.Fatalf("%d of 100 crashes tore at p=0.5", torn)
	}
}

func TestCrashCopyOfEmptyStore(t *testing.T) {
	s := New()
	s.Faults().TornLastCommit()
	c := s.CrashCopy()
	if c.Commits() != 0 || get(t, c, "a") != "" || s.Faults().Fired().Torn != 0 {
		t.Fatal("empty crash copy wrong")
	}
	if err := c.Commit([]persist.Write{put("a", "1")}); err != nil || get(t, c, "a") != "1" {
		t.Fatal("crash copy of an empty store does not commit")
	}
}
