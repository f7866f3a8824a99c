package sim

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Equal times pop in push order, earlier times first, whatever the push order: the queue is
// what makes a tier-1 run depend on its seed alone.
func TestQueueOrdersByTimeThenPush(t *testing.T) {
	var q Queue[string]
	t0 := Epoch
	q.Push(t0.Add(2*time.Second), "c")
	q.Push(t0.Add(time.Second), "a")
	q.Push(t0.Add(2*time.Second), "d")
	q.Push(t0.Add(time.Second), "b")
	q.Push(t0.Add(3*time.Second), "gone")
	q.Drop(func(v string) bool { return v == "gone" })
	var got []string
	for {
		_, v, ok := q.Pop()
		if !ok {
			break
		}
		got = append(got, v)
	}
	if want := []string{"a", "b", "c", "d"}; !slices.Equal(got, want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
}

// A named stream gives the same draws for the same seed whatever else was drawn, and different
// draws for another name or seed.
func TestStreamsAreIndependent(t *testing.T) {
	draw := func(seed uint64, name string) []int {
		r := Stream(seed, name)
		out := make([]int, 8)
		for i := range out {
			out[i] = r.IntN(1 << 20)
		}
		return out
	}
	a := draw(7, "clients")
	Stream(7, "faults").IntN(10) // drawing elsewhere shifts nothing
	if !slices.Equal(a, draw(7, "clients")) {
		t.Fatal("the same seed and name gave different draws")
	}
	if slices.Equal(a, draw(7, "faults")) || slices.Equal(a, draw(8, "clients")) {
		t.Fatal("another name or seed gave the same draws")
	}
}

// The trace hash depends on every field a record holds and on nothing else.
func TestTraceHashCoversEveryField(t *testing.T) {
	base := Record{At: time.Second, Entity: "vault/v1", Seq: 3, Type: "msg:x", Kind: "ok", Digest: Digest(map[string]int{"b": 2, "a": 1})}
	sum := func(r Record) string { tr := NewTrace(Epoch, false); tr.Add(r); return tr.Sum() }
	if sum(base) != sum(base) {
		t.Fatal("one record hashed twice gave two sums")
	}
	for name, change := range map[string]func(*Record){
		"at": func(r *Record) { r.At++ }, "entity": func(r *Record) { r.Entity = "vault/v2" },
		"seq": func(r *Record) { r.Seq++ }, "type": func(r *Record) { r.Type = "msg:y" },
		"kind": func(r *Record) { r.Kind = "error" }, "digest": func(r *Record) { r.Digest = Digest(errors.New("x")) },
	} {
		r := base
		change(&r)
		if sum(r) == sum(base) {
			t.Errorf("changing %s left the trace hash equal", name)
		}
	}
}

// A failing seed is appended once with its reason; the regressions come before the range.
func TestRegressionsAreKeptAndReplayedFirst(t *testing.T) {
	s := Seeds{Count: 3, Base: 10, Dir: t.TempDir()}
	if err := s.keep("x", 42, "boom # with a hash\nsecond line"); err != nil {
		t.Fatal(err)
	}
	if err := s.keep("x", 42, "again"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(s.Dir, "x.seeds"))
	if string(b) != "42 # boom  with a hash\n" {
		t.Fatalf("seeds file %q", b)
	}
	got, err := s.List("x")
	if err != nil || !slices.Equal(got, []uint64{42, 10, 11, 12}) {
		t.Fatalf("List = %v, %v", got, err)
	}
	if got, _ := (Seeds{One: 5, Dir: s.Dir}).List("x"); !slices.Equal(got, []uint64{5}) {
		t.Fatalf("-seed replay plays %v", got)
	}
	os.WriteFile(filepath.Join(s.Dir, "bad.seeds"), []byte("12\nnope\n"), 0o644)
	if _, err := Regressions(filepath.Join(s.Dir, "bad.seeds")); err == nil {
		t.Fatal("a malformed seeds file was accepted")
	}
}
