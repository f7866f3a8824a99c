package scenarios

import (
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/simulations/sim"
)

// pullCut is where a pull stops, as a lost connection would stop it.
type pullCut int

const (
	pullWhole      pullCut = iota // runs to its end
	pullCutAfter                  // stops after its first apply
	pullCutBetween                // stops once a batch's blocks arrived, before its records apply
)

// pull runs the exchange from node j into node i (docs/vault-sync.md § Exchange) in the order of
// p2p/vaultsync's Puller: summaries, listings, records; then, batch by batch, the blocks the
// records reference that i lacks, fetched from the holders (j first) and synced, then the
// records whose blocks all arrived applied — a record missing one waits for a later pull. The
// policy goes with the first apply, the pruned set with the last. Careless, it also fetches
// records dst has pruned (as a driver racing a prune would), which the apply must skip. It
// reports whether dst changed.
func (w *syncWorld) pull(i, j, batch int, cut pullCut, careless bool) (changed bool) {
	dst, src := w.nodes[i], w.nodes[j]
	if dst.asleep || src.asleep || w.cut[[2]int{min(i, j), max(i, j)}] {
		sim.Sometimes("pull refused by a partition")
		return false
	}
	sd, _ := w.step(dst, messages.SyncSummary{Buckets: true}).(messages.VaultSummary)
	ss, _ := w.step(src, messages.SyncSummary{Buckets: true}).(messages.VaultSummary)
	var policy *messages.SyncPolicy
	if ss.Policy.Newer(sd.Policy) {
		policy = ss.Policy
	}
	diff := messages.DiffBuckets(sd, ss)
	if len(diff) == 0 && policy == nil {
		return false
	}
	theirs, mine := w.list(src, diff), w.list(dst, diff)
	have, pruned := map[messages.VersionAddr]bool{}, map[messages.VersionAddr]bool{}
	for _, a := range mine.Addrs {
		have[a] = true
	}
	for _, a := range mine.Pruned {
		have[a], pruned[a] = !careless, true
	}
	var want, prune []messages.VersionAddr
	for _, a := range theirs.Addrs {
		if !have[a] {
			want = append(want, a)
		}
	}
	for _, a := range theirs.Pruned {
		if !pruned[a] {
			prune = append(prune, a)
		}
	}
	var recs []messages.SyncRecord
	for len(want) > 0 {
		n := min(len(want), messages.MaxSyncGet)
		got, _ := w.step(src, messages.SyncGet{Addrs: want[:n]}).(messages.SyncRecords)
		want = append(got.Later, want[n:]...)
		recs = append(recs, got.Records...)
	}
	if src.untrusted && len(recs) > 0 {
		sim.Sometimes("untrusted node relayed records")
	}
	f := w.newFetch(i, j, recs)
	defer f.heal()
	for first := true; first || len(recs) > 0; first = false {
		n := min(len(recs), batch)
		ready := f.ready(recs[:n], cut == pullCutBetween)
		recs = recs[n:]
		if cut == pullCutBetween && f.fetched > 0 {
			sim.Sometimes("pull cut between blocks and records")
			w.run.Trace.At(w.now, dst.name, 0, "pull cut", "between", nil)
			return changed
		}
		apply := messages.SyncApply{Records: ready}
		if first {
			apply.Policy = policy
		}
		if len(recs) == 0 {
			apply.Pruned = prune
		}
		if len(apply.Records) == 0 && apply.Policy == nil && len(apply.Pruned) == 0 {
			continue
		}
		switch r := w.step(dst, apply).(type) {
		case error:
			w.fail("%s: apply from %s: %v", dst.name, src.name, r)
		case messages.SyncApplied:
			changed = changed || r.Added+r.Dropped+r.Learned > 0 || r.Policy
		}
		f.applied(ready)
		if cut == pullCutAfter && len(recs) > 0 {
			sim.Sometimes("pull cut short")
			return changed
		}
	}
	return changed
}

func (w *syncWorld) list(n *syncNode, buckets []byte) messages.SyncListing {
	var all messages.SyncListing
	after := messages.VersionAddr{}
	for len(buckets) > 0 {
		page, _ := w.step(n, messages.SyncList{Buckets: buckets, After: after, Limit: 16}).(messages.SyncListing)
		all.Addrs, all.Pruned = append(all.Addrs, page.Addrs...), append(all.Pruned, page.Pruned...)
		if !page.More {
			break
		}
		after = page.Next
	}
	return all
}
