package memstore

import (
	"errors"
	"testing"

	"github.com/meshhold/meshhold/persist"
)

func put(key, val string) persist.Write {
	return persist.Write{Bucket: persist.Meta, Key: key, Value: []byte(val)}
}

// get reads key from s, or "" when absent.
func get(t *testing.T, s *Store, key string) string {
	t.Helper()
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	v, _ := snap.Get(persist.Meta, key)
	return string(v)
}

func TestCommitSnapshotScan(t *testing.T) {
	s := New()
	if err := s.Commit([]persist.Write{put("b", "2"), put("a", "1"), put("c", "3")}); err != nil {
		t.Fatal(err)
	}
	snap, _ := s.Snapshot()
	if err := s.Commit([]persist.Write{{Bucket: persist.Meta, Key: "a", Delete: true}, put("b", "20")}); err != nil {
		t.Fatal(err)
	}
	var keys string
	snap.Scan(persist.Meta, "", "a", func(k string, v []byte) bool { keys += k + "=" + string(v) + " "; return true })
	if keys != "b=2 c=3 " {
		t.Fatalf("old snapshot scan = %q", keys)
	}
	if got := get(t, s, "a") + get(t, s, "b"); got != "20" {
		t.Fatalf("after commit: %q", got)
	}
	if s.Commits() != 2 || s.Version() != 2 {
		t.Fatalf("commits %d version %d", s.Commits(), s.Version())
	}
}

func TestUnknownBucket(t *testing.T) {
	s := New()
	s.Buckets = []persist.Bucket{persist.Meta}
	err := s.Commit([]persist.Write{put("a", "1"), {Bucket: "nope", Key: "k"}})
	if !errors.Is(err, persist.ErrUnknownBucket) {
		t.Fatalf("err = %v", err)
	}
	if get(t, s, "a") != "" || s.Commits() != 0 {
		t.Fatal("a refused commit applied something")
	}
}
