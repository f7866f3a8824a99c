package memblocks_test

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memblocks"
	"github.com/meshhold/meshhold/persist/memstore"
)

// order is how a writer sequences a version's durability.
type order int

const (
	correct     order = iota // put blocks, Sync, Commit; GC deletes after the record removal commits
	commitFirst              // Commit before Sync: a crash between them loses referenced blocks
	gcFirst                  // GC deletes blocks before the record removal commits
)

// writer is a committer-like node over a record store and a block store, under faults, with
// a crash copy checked after every store call.
type writer struct {
	t        *testing.T
	rng      *rand.Rand
	order    order
	rs       *memstore.Store
	bs       *memblocks.Store
	acked    map[string]string // the records whose Commit returned nil: key → addresses
	before   map[string]string // acked before the last successful commit
	blocks   [][]byte          // contents written so far, for dedup
	found    []string          // invariant violations seen at crash points
	trace    []string          // what happened, for a failure's message
	crashes  int
	restarts int
}

func newWriter(t *testing.T, seed uint64, o order) *writer {
	w := &writer{t: t, rng: rand.New(rand.NewPCG(seed, 42)), order: o,
		rs: memstore.New(), bs: memblocks.New(), acked: map[string]string{}}
	w.rs.Faults().SetRand(w.rng)
	w.rs.Faults().FailRandomly(0.05)
	w.bs.Faults().SetRand(w.rng)
	w.bs.Faults().SurviveCrash(memblocks.Survival{Intact: 0.3, Empty: 0.15, Torn: 0.15})
	return w
}

func (w *writer) run(versions int) {
	for i := range versions {
		if len(w.acked) > 0 && w.rng.IntN(3) == 0 {
			keys := slices.Sorted(maps.Keys(w.acked))
			w.remove(keys[w.rng.IntN(len(keys))])
		} else {
			w.write(fmt.Sprintf("v/%04d", i))
		}
	}
}

// write stores one version: its blocks, then its record.
func (w *writer) write(key string) {
	if w.rng.IntN(20) == 0 {
		w.bs.Faults().FailNthPut(1 + w.rng.IntN(3))
	}
	if w.rng.IntN(20) == 0 {
		w.bs.Faults().FailNthSync(1)
	}
	var addrs []byte
	for range 1 + w.rng.IntN(4) {
		var data []byte
		if len(w.blocks) > 0 && w.rng.IntN(4) == 0 {
			data = w.blocks[w.rng.IntN(len(w.blocks))] // dedup: maybe present, maybe collected
		} else {
			data = make([]byte, 2+w.rng.IntN(64))
			for i := range data {
				data[i] = byte(w.rng.Uint32())
			}
			w.blocks = append(w.blocks, data)
		}
		a := persist.AddressOf(data)
		err := w.bs.Put(a, data)
		w.log("put %s %x: %v", key, a[:4], err)
		if w.crash(false) || err != nil {
			return // the upload fails; its blocks are garbage for the sweep
		}
		addrs = append(addrs, a[:]...)
	}
	rec := []persist.Write{{Bucket: persist.Catalog, Key: key, Value: addrs}}
	if w.order == commitFirst {
		if w.commit(rec, key, string(addrs)) {
			err := w.bs.Sync()
			w.log("sync: %v", err)
			w.crash(false)
		}
		return
	}
	err := w.bs.Sync()
	w.log("sync: %v", err)
	if w.crash(false) || err != nil {
		return // the committer fails the group: nothing commits
	}
	w.commit(rec, key, string(addrs))
}

// remove deletes one version's record and collects the blocks no acknowledged version uses.
func (w *writer) remove(key string) {
	garbage := w.unreferenced(key)
	if w.order == gcFirst && !w.collect(garbage) {
		return
	}
	if !w.commit([]persist.Write{{Bucket: persist.Catalog, Key: key, Delete: true}}, key, "") {
		return
	}
	if w.order != gcFirst {
		w.collect(w.unreferenced(""))
	}
}

// unreferenced lists the blocks of versions no longer acknowledged, or about to be removed.
func (w *writer) unreferenced(removing string) []persist.Address {
	used := map[persist.Address]bool{}
	for k, v := range w.acked {
		if k != removing {
			for _, a := range split(v) {
				used[a] = true
			}
		}
	}
	var out []persist.Address
	for _, data := range w.blocks {
		if a := persist.AddressOf(data); !used[a] {
			out = append(out, a)
		}
	}
	return out
}

// collect deletes addrs; false when the node restarted meanwhile (the collection stops).
func (w *writer) collect(addrs []persist.Address) bool {
	for _, a := range addrs {
		if ok, _ := w.bs.Has(a); ok {
			_ = w.bs.Delete(a)
			w.log("delete %x", a[:4])
			if w.crash(false) {
				return false
			}
		}
	}
	return true
}

// commit commits writes; on success the record key is acknowledged as val ("" removed). It
// reports whether the commit succeeded on a node that is still running.
func (w *writer) commit(writes []persist.Write, key, val string) bool {
	err := w.rs.Commit(writes)
	w.log("commit %s (%d blocks): %v", key, len(val)/32, err)
	if err == nil {
		w.before = maps.Clone(w.acked)
		if val == "" {
			delete(w.acked, key)
		} else {
			w.acked[key] = val
		}
	}
	return !w.crash(err == nil) && err == nil
}

// crash takes what a node restarted now would find and checks it: every record's blocks read
// back whole, and the records are the acknowledged ones. Right after a commit, before anything
// acted on it, the crash may also tear that commit (it then landed inside its fsync). Now and
// then the node really restarts on the copies: crash reports it, and whatever the writer was
// doing stops, as it would with the process.
func (w *writer) crash(justCommitted bool) bool {
	w.crashes++
	if justCommitted && w.rng.IntN(3) == 0 {
		w.rs.Faults().TornLastCommit()
	}
	rs, bs := w.rs.CrashCopy(), w.bs.CrashCopy()
	want := w.acked
	if rs.Commits() < w.rs.Commits() {
		want = w.before
	}
	got := map[string]string{}
	err := persist.ReadWith(rs, func(v persist.View) error {
		v.Scan(persist.Catalog, "", "", func(k string, val []byte) bool {
			got[k] = string(val)
			for _, a := range split(string(val)) {
				if _, err := bs.Get(a); err != nil {
					w.found = append(w.found, fmt.Sprintf("crash %d: %s references %x: %v\n%s",
						w.crashes, k, a[:4], err, strings.Join(w.trace[max(0, len(w.trace)-20):], "\n")))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		w.t.Fatalf("crash %d: records %d, acknowledged %d", w.crashes, len(got), len(want))
	}
	if w.rng.IntN(25) == 0 {
		w.log("restart")
		w.restarts++
		w.rs, w.bs, w.acked = rs, bs, got
		return true
	}
	return false
}

func (w *writer) log(format string, args ...any) {
	w.trace = append(w.trace, fmt.Sprintf(format, args...))
}

func split(addrs string) []persist.Address {
	var out []persist.Address
	for i := 0; i+32 <= len(addrs); i += 32 {
		out = append(out, persist.Address([]byte(addrs[i:i+32])))
	}
	return out
}

// TestDurabilityOrder: with blocks synced before the commit that references them and collected
// only after the commit that drops them, no crash at any point leaves a committed record
// referencing a missing or corrupt block, and every acknowledged record survives.
func TestDurabilityOrder(t *testing.T) {
	var restarts int
	var rf memstore.Fired
	var bf memblocks.Fired
	for seed := range uint64(100) {
		w := newWriter(t, seed, correct)
		w.run(60)
		if len(w.found) > 0 {
			t.Fatalf("seed %d: %d violations, first: %s", seed, len(w.found), w.found[0])
		}
		restarts += w.restarts
		r, b := w.rs.Faults().Fired(), w.bs.Faults().Fired()
		rf.Failed, rf.Torn = rf.Failed+r.Failed, rf.Torn+r.Torn
		bf.FailedPuts, bf.FailedSyncs = bf.FailedPuts+b.FailedPuts, bf.FailedSyncs+b.FailedSyncs
		bf.Survived, bf.SurvivedEmpty, bf.SurvivedTorn = bf.Survived+b.Survived, bf.SurvivedEmpty+b.SurvivedEmpty, bf.SurvivedTorn+b.SurvivedTorn
	}
	// Sometimes: every fault and the restart path fired in some seed.
	if restarts == 0 || rf.Failed == 0 || rf.Torn == 0 || bf.FailedPuts == 0 || bf.FailedSyncs == 0 ||
		bf.Survived == 0 || bf.SurvivedEmpty == 0 || bf.SurvivedTorn == 0 {
		t.Fatalf("a fault never fired: restarts %d, records %+v, blocks %+v", restarts, rf, bf)
	}
}

// TestDurabilityRunIsDeterministic: one seed, the same faults, crashes and restarts.
func TestDurabilityRunIsDeterministic(t *testing.T) {
	a, b := newWriter(t, 11, correct), newWriter(t, 11, correct)
	a.run(60)
	b.run(60)
	if !slices.Equal(a.trace, b.trace) || a.crashes != b.crashes || a.restarts != b.restarts {
		t.Fatal("the same seed ran differently")
	}
}

// TestCommitBeforeSyncLosesBlocks is the smallest broken order: the record is durable, its
// block is not, and the crash copy shows it.
func TestCommitBeforeSyncLosesBlocks(t *testing.T) {
	rs, bs := memstore.New(), memblocks.New()
	data := []byte("ciphertext")
	a := persist.AddressOf(data)
	if err := bs.Put(a, data); err != nil {
		t.Fatal(err)
	}
	if err := rs.Commit([]persist.Write{{Bucket: persist.Catalog, Key: "v", Value: a[:]}}); err != nil {
		t.Fatal(err)
	}
	rc, bc := rs.Crash(), bs.Crash()
	if _, err := bc.Get(a); !errors.Is(err, persist.ErrBlockMissing) {
		t.Fatalf("unsynced block survived the crash: %v", err)
	}
	if err := persist.ReadWith(rc, func(v persist.View) error {
		if _, ok := v.Get(persist.Catalog, "v"); !ok {
			t.Fatal("the committed record was lost")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBrokenOrderIsCaught proves the fault model catches the bugs the order prevents:
// committing before the blocks are synced, and collecting blocks before the record is gone.
func TestBrokenOrderIsCaught(t *testing.T) {
	for _, o := range []order{commitFirst, gcFirst} {
		for seed := range uint64(100) {
			w := newWriter(t, seed, o)
			w.run(60)
			if len(w.found) == 0 {
				t.Fatalf("order %d, seed %d: the broken order went unnoticed", o, seed)
			}
		}
	}
}
