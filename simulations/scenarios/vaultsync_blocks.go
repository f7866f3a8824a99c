package scenarios

import (
	"errors"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/simulations/sim"
)

// blockFetch is one pull's block transfer into dst, as p2p/blocks' FetchAny does it: each
// block the records need and dst lacks is taken from the first holder that serves it intact
// (the peer first), verified against its address on arrival, stored, and synced before any
// record referencing it applies. Outside settle it may arm read faults at the holders for the
// pull's duration and corrupt one block in transit.
type blockFetch struct {
	w       *syncWorld
	i, j    int // dst and the peer, indexes into w.nodes
	dst     *syncNode
	holders []*syncNode
	faulty  map[persist.Address]string // armed blocks → "damaged" or "missing"
	armed   []*syncNode                // holders whose reads are faulted until heal
	transit bool                       // the peer's next block is corrupted on the way
	fetched int                        // blocks stored at dst by this pull
}

// fetchTrace is what one batch of a pull moved, for the trace.
type fetchTrace struct {
	Need, Got, Waiting int
	From               []string
}

func (w *syncWorld) newFetch(i, j int, recs []messages.SyncRecord) *blockFetch {
	f := &blockFetch{w: w, i: i, j: j, dst: w.nodes[i], holders: w.holders(i, j), faulty: map[persist.Address]string{}}
	if !w.quiet {
		f.arm(recs)
	}
	return f
}

// holders lists the nodes a pull from j into i may fetch blocks from: j first, then — unless
// the driver knew only j this time — the other nodes i reaches, in the order of their RTT (a
// random one here; node order while settling).
func (w *syncWorld) holders(i, j int) []*syncNode {
	out := []*syncNode{w.nodes[j]}
	var order []int
	switch {
	case w.quiet:
		for k := range w.nodes {
			order = append(order, k)
		}
	case w.faults.IntN(2) == 0:
		return out
	default:
		order = w.faults.Perm(len(w.nodes))
	}
	for _, k := range order {
		if k != i && k != j && !w.nodes[k].asleep && !w.cut[[2]int{min(i, k), max(i, k)}] {
			out = append(out, w.nodes[k])
		}
	}
	return out
}

// arm decides this pull's block faults: sometimes one or more of the blocks it needs read as
// damaged or missing at the peer — or at every holder, so that their records must wait — and
// sometimes the peer's first block is corrupted in transit.
func (f *blockFetch) arm(recs []messages.SyncRecord) {
	r := f.w.faults
	f.transit = r.IntN(8) == 0
	if r.IntN(4) != 0 {
		return
	}
	need := f.need(recs)
	if len(need) == 0 {
		return
	}
	at := f.holders[:1]
	if r.IntN(2) == 0 {
		at = f.holders
	}
	for k, a := range need {
		if k > 0 && r.IntN(3) != 0 {
			continue
		}
		kind := "damaged"
		if r.IntN(2) == 0 {
			kind = "missing"
		}
		f.faulty[a] = kind
		for _, h := range at {
			if kind == "damaged" {
				h.blocks.Faults().FlipBitOnRead(a)
			} else {
				h.blocks.Faults().EmptyOnRead(a)
			}
		}
	}
	f.armed = at
}

// heal ends the pull's read faults.
func (f *blockFetch) heal() {
	for _, h := range f.armed {
		h.blocks.Faults().HealReads()
	}
}

// need lists, in record order without repeats, the blocks recs reference that dst lacks.
func (f *blockFetch) need(recs []messages.SyncRecord) []persist.Address {
	var out []persist.Address
	seen := map[persist.Address]bool{}
	for _, r := range recs {
		for _, b := range r.Blocks {
			a := persist.Address(b)
			if seen[a] {
				continue
			}
			seen[a] = true
			has, err := f.dst.blocks.Has(a)
			if err != nil {
				f.w.fail("%s: block store: %v", f.dst.name, err)
			}
			if has { // as Puller.present: a file that is here but does not verify is replaced
				if _, err := f.dst.blocks.Get(a); errors.Is(err, persist.ErrBlockMissing) {
					sim.Sometimes("torn block replaced by a pull")
					_ = f.dst.blocks.Delete(a)
					has = false
				}
			}
			if !has {
				out = append(out, a)
			}
		}
	}
	return out
}

// ready fetches the blocks of recs that dst lacks, syncs them (unless the pull is about to be
// cut before its sync) and returns the records whose blocks are all here; the others wait.
func (f *blockFetch) ready(recs []messages.SyncRecord, cutting bool) []messages.SyncRecord {
	need := f.need(recs)
	tr := fetchTrace{Need: len(need)}
	missing := map[persist.Address]bool{}
	for _, a := range need {
		if from := f.fetch(a); from != "" {
			tr.Got++
			tr.From = append(tr.From, from)
		} else {
			missing[a] = true
		}
	}
	if tr.Got > 0 && !(cutting && f.w.faults.IntN(2) == 0) {
		if err := f.dst.blocks.Sync(); err != nil {
			f.w.fail("%s: sync fetched blocks: %v", f.dst.name, err)
		}
	}
	var out []messages.SyncRecord
	for _, r := range recs {
		if !f.complete(r, missing) && !f.w.applyWaiting {
			tr.Waiting++
			f.w.wait[waitKey{f.i, r.Addr}] = f.j
			sim.Sometimes("record waited for its blocks")
			continue
		}
		out = append(out, r)
	}
	if len(need) > 0 {
		f.w.run.Trace.At(f.w.now, f.dst.name, 0, "fetch", f.holders[0].name, tr)
	}
	return out
}

func (f *blockFetch) complete(r messages.SyncRecord, missing map[persist.Address]bool) bool {
	for _, b := range r.Blocks {
		if missing[persist.Address(b)] {
			return false
		}
	}
	return true
}

// fetch copies block a into dst from the first holder that serves it intact and returns that
// holder's name ("" when none did). A holder reads through its store, which verifies the
// block, so a damaged or missing copy is not served; dst verifies what arrives against a.
func (f *blockFetch) fetch(a persist.Address) string {
	for k, h := range f.holders {
		data, err := h.blocks.Get(a)
		if err != nil {
			if kind := f.faulty[a]; kind != "" && (k == 0 || len(f.armed) > 1) {
				sim.Sometimes("block " + kind + " at its holder")
			}
			continue
		}
		if k == 0 && f.transit {
			f.transit = false
			bit := f.w.faults.IntN(len(data) * 8)
			data[bit/8] ^= 1 << (bit % 8)
		}
		if persist.AddressOf(data) != a {
			sim.Sometimes("corrupt block refused in transit")
			continue
		}
		if err := f.dst.blocks.Put(a, data); err != nil {
			f.w.fail("%s: store fetched block %s: %v", f.dst.name, a, err)
			return ""
		}
		if k > 0 {
			sim.Sometimes("block fetched from another holder")
		}
		if h.untrusted {
			sim.Sometimes("untrusted node relayed blocks")
		}
		f.fetched++
		return h.name
	}
	return ""
}

// applied notes that dst applied recs: each must now have every block intact at dst (blocks
// before records), and a record that waited earlier has been completed.
func (f *blockFetch) applied(recs []messages.SyncRecord) {
	for _, r := range recs {
		for _, b := range r.Blocks {
			if _, err := f.dst.blocks.Get(persist.Address(b)); err != nil {
				f.w.fail("%s applied %.12s from %s while its block %.12s is not intact: %v",
					f.dst.name, r.Addr, f.holders[0].name, persist.Address(b), err)
				return
			}
		}
		key := waitKey{f.i, r.Addr}
		if from, ok := f.w.wait[key]; ok {
			delete(f.w.wait, key)
			if from != f.j {
				sim.Sometimes("waiting record completed from another holder")
			}
		}
	}
}
