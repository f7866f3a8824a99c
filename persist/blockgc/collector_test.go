package blockgc

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockstore"
)

type rig struct {
	t     *testing.T
	root  string
	store *blockstore.Store
	pins  *Pins
	cat   *MemCatalog
	gc    *Collector
}

func newRig(t *testing.T) *rig {
	root := t.TempDir()
	s, err := blockstore.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, root: root, store: s, pins: NewPins(), cat: NewMemCatalog()}
	r.gc, err = New(s, r.pins, r.cat, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// put writes a block whose file was last written age ago.
func (r *rig) put(text string, age time.Duration) messages.BlockAddr {
	data := []byte(text)
	a := persist.AddressOf(data)
	if err := r.store.Put(a, data); err != nil {
		r.t.Fatal(err)
	}
	h := a.String()
	when := time.Now().Add(-age)
	if err := os.Chtimes(filepath.Join(r.root, h[:2], h[2:4], h), when, when); err != nil {
		r.t.Fatal(err)
	}
	return messages.BlockAddr(a)
}

func (r *rig) has(a messages.BlockAddr) bool {
	ok, err := r.store.Has(persist.Address(a))
	if err != nil {
		r.t.Fatal(err)
	}
	return ok
}

func ago(d time.Duration) int64 { return time.Now().Add(-d).UnixMilli() }

func TestCollectOrphans(t *testing.T) {
	r := newRig(t)
	old := r.put("old orphan", 3*time.Hour)
	recent := r.put("recent orphan", 3*time.Hour)
	pinned := r.put("pinned orphan", 3*time.Hour)
	touched := r.put("orphan an upload matched a minute ago", time.Minute)
	live := r.put("referenced", 3*time.Hour)
	for _, a := range []messages.BlockAddr{old, pinned, touched} {
		r.cat.AddRef("v1", a)
		r.cat.DropRef("v1", a, ago(2*time.Hour))
	}
	r.cat.AddRef("v1", recent)
	r.cat.DropRef("v1", recent, ago(time.Minute))
	r.cat.AddRef("v2", live)
	r.pins.Pin(pinned)

	st, err := r.gc.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.has(old) || !r.has(recent) || !r.has(pinned) || !r.has(touched) || !r.has(live) {
		t.Fatalf("after collect: old %v recent %v pinned %v touched %v live %v (%s)",
			r.has(old), r.has(recent), r.has(pinned), r.has(touched), r.has(live), st)
	}
	if st.Deleted != 1 || st.Pinned != 1 || st.Young != 1 {
		t.Fatalf("stats %s", st)
	}
	if still, _ := r.cat.StillOrphan("v1", old); still {
		t.Fatal("deleted orphan not forgotten")
	}
	if still, _ := r.cat.StillOrphan("v1", pinned); !still {
		t.Fatal("kept orphan forgotten")
	}
}

// The catalog is asked again under the pin lock: an orphan referenced again after the listing
// is kept.
func TestCollectRechecksInFreshSnapshot(t *testing.T) {
	r := newRig(t)
	a := r.put("block", 3*time.Hour)
	r.cat.AddRef("v", a)
	r.cat.DropRef("v", a, ago(2*time.Hour))
	gc, _ := New(r.store, r.pins, &revivingCatalog{MemCatalog: r.cat}, Config{})
	st, err := gc.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.has(a) || st.Referenced != 1 {
		t.Fatalf("revived orphan: present %v, %s", r.has(a), st)
	}
}

// revivingCatalog re-references every orphan right after listing it, as a commit would.
type revivingCatalog struct{ *MemCatalog }

func (c *revivingCatalog) Orphans(ctx context.Context, fn func(string, messages.BlockAddr, int64) bool) error {
	var seen []orphan
	err := c.MemCatalog.Orphans(ctx, func(v string, a messages.BlockAddr, since int64) bool {
		seen = append(seen, orphan{v, a})
		return fn(v, a, since)
	})
	for _, o := range seen {
		c.AddRef(o.vault, o.addr)
	}
	return err
}

func TestSweepUnreferenced(t *testing.T) {
	r := newRig(t)
	stray := r.put("left by a failed upload", 2*time.Hour)
	fresh := r.put("written a minute ago", time.Minute)
	known := r.put("referenced", 2*time.Hour)
	listed := r.put("an orphan: the collector's, not the sweep's", 2*time.Hour)
	pinned := r.put("matched by an upload in flight", 2*time.Hour)
	r.cat.AddRef("v", known)
	r.cat.AddRef("v", listed)
	r.cat.DropRef("v", listed, ago(time.Minute))
	r.pins.Pin(pinned)
	st, err := r.gc.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.has(stray) || !r.has(fresh) || !r.has(known) || !r.has(listed) || !r.has(pinned) {
		t.Fatalf("after sweep (%s): stray %v fresh %v known %v listed %v pinned %v", st,
			r.has(stray), r.has(fresh), r.has(known), r.has(listed), r.has(pinned))
	}
	if st.Candidates != 4 || st.Deleted != 1 {
		t.Fatalf("stats %s", st)
	}
}

func TestReclaimIgnoresAgeButNotPinsOrRefs(t *testing.T) {
	r := newRig(t)
	mine := r.put("written by the failed upload", 0)
	shared := r.put("also matched by another upload", 0)
	committed := r.put("committed by another upload meanwhile", 0)
	r.pins.Pin(shared)
	r.cat.AddRef("v", committed)
	st := r.gc.Reclaim(context.Background(), []messages.BlockAddr{mine, shared, committed})
	if r.has(mine) || !r.has(shared) || !r.has(committed) || st.Deleted != 1 {
		t.Fatalf("reclaim: %s", st)
	}
}

func TestPinsMultiset(t *testing.T) {
	p := NewPins()
	a := messages.BlockAddr{1}
	p.Pin(a)
	p.Pin(a)
	p.Unpin(a)
	if !p.Pinned(a) || p.Len() != 1 {
		t.Fatal("one pin of two removed the address")
	}
	p.Unpin(a)
	p.Unpin(a) // extra unpin is harmless
	if p.Pinned(a) || p.Len() != 0 {
		t.Fatal("still pinned")
	}
	var none *Pins
	none.Pin(a)
	if none.Pinned(a) {
		t.Fatal("nil pins pinned")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Config{Grace: time.Second}).Validate(); err == nil {
		t.Fatal("a 1 s grace accepted")
	}
}

// With more old blocks than one run handles, and the first ones kept, later runs still reach
// the rest.
func TestRunsResumeAfterTheirBatch(t *testing.T) {
	r := newRig(t)
	gc, err := New(r.store, r.pins, r.cat, Config{MaxPerRun: 2})
	if err != nil {
		t.Fatal(err)
	}
	var all []messages.BlockAddr
	for _, text := range []string{"a", "b", "c", "d", "e"} {
		a := r.put(text, 2*time.Hour)
		all = append(all, a)
		r.cat.AddRef("v", a)
		r.cat.DropRef("v", a, ago(2*time.Hour))
	}
	for _, a := range all {
		r.pins.Pin(a) // all kept at first
	}
	gc.Collect(context.Background())
	gc.Sweep(context.Background())
	for _, a := range all {
		r.pins.Unpin(a)
	}
	for range 3 {
		if _, err := gc.Collect(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range all {
		if r.has(a) {
			t.Fatalf("orphan %s never collected", a)
		}
	}
	var stray []messages.BlockAddr
	for _, text := range []string{"f", "g", "h", "i", "j"} {
		stray = append(stray, r.put(text, 2*time.Hour))
	}
	r.pins.Pin(stray[0])
	r.pins.Pin(stray[1])
	for range 4 {
		if _, err := gc.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	left := 0
	for _, a := range stray {
		if r.has(a) {
			left++
		}
	}
	if left != 2 {
		t.Fatalf("%d stray blocks left, want the 2 pinned", left)
	}
}
