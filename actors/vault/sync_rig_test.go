package vault_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/memstore"
)

// peer is one node holding vault v1: its registry and vault cores over its own store.
type peer struct {
	t         testing.TB
	name      string
	untrusted bool
	reg, v    *coretest.Driver
}

// newPeer starts a node that holds v1 trusted (created with testKey and policy) or untrusted
// (observed, held), at time now.
func newPeer(t testing.TB, name string, untrusted bool, policy messages.VaultPolicy, now time.Time) *peer {
	t.Helper()
	store := memstore.New()
	p := &peer{t: t, name: name, untrusted: untrusted,
		reg: &coretest.Driver{T: t, Entity: messages.VaultsKind + "/" + messages.RegistryID, Load: vault.LoadRegistry, Store: store, Now: now},
		v: &coretest.Driver{T: t, Entity: messages.VaultKind + "/" + vaultID, Store: store, Now: now,
			Load: vault.Load(vault.Deps{Unseal: unseal, NodeID: "node-" + name})}}
	p.reg.Reload()
	var reply any
	if untrusted {
		reply = p.reg.Step(messages.ObserveVault{ID: vaultID, Hold: true})
	} else {
		reply = p.reg.Step(messages.CreateVault{ID: vaultID, Name: "Photos", Policy: policy,
			SealedKey: seal(messages.VaultKeyPurpose(vaultID), testKey[:])})
	}
	if err, ok := reply.(error); ok {
		t.Fatalf("%s: %v", name, err)
	}
	p.v.Reload()
	p.v.Events = nil
	return p
}

// at sets the peer's clock.
func (p *peer) at(now time.Time) { p.reg.Now, p.v.Now = now, now }

// ask steps the vault and fails the test on an error reply.
func (p *peer) ask(msg any) any {
	p.t.Helper()
	reply := p.v.Step(msg)
	if err, ok := reply.(error); ok {
		p.t.Fatalf("%s: %T: %v", p.name, msg, err)
	}
	return reply
}

func (p *peer) summary(buckets bool) messages.VaultSummary {
	return p.ask(messages.SyncSummary{Buckets: buckets}).(messages.VaultSummary)
}

// check runs vault.CheckInvariants on the peer's committed state.
func (p *peer) check() error {
	snap, err := p.v.Store.Snapshot()
	if err != nil {
		return err
	}
	defer snap.Release()
	if err := vault.CheckInvariants(snap, vaultID, testKey); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	return nil
}

// pulled is what one pull did.
type pulled struct {
	rounds  int // SyncApply calls
	applied messages.SyncApplied
}

// pull brings into dst what src has that dst lacks — the exchange a replication driver runs
// (docs/vault-sync.md § Exchange): compare roots, list the differing buckets on both sides,
// get the records dst lacks in batches of at most batch, apply them, and apply src's pruned
// addresses dst does not know with the last batch. src's policy goes with the first apply
// when it wins.
func pull(dst, src *peer, batch int) pulled { return pullWith(dst, src, batch, true) }

// pullWith is pull; a driver that does not skip what dst has pruned (careless, or racing a
// prune) gets those records and sends them, and the apply must skip them.
func pullWith(dst, src *peer, batch int, skipPruned bool) pulled {
	dst.t.Helper()
	var out pulled
	sd, ss := dst.summary(false), src.summary(false)
	var policy *messages.SyncPolicy
	if ss.Policy.Newer(sd.Policy) {
		policy = ss.Policy
	}
	if sd.Root == ss.Root {
		if policy != nil {
			out.add(dst.ask(messages.SyncApply{Policy: policy}).(messages.SyncApplied))
		}
		return out
	}
	diff := messages.DiffBuckets(dst.summary(true), src.summary(true))
	theirs, mine := listAll(src, diff), listAll(dst, diff)
	have := map[messages.VersionAddr]bool{}
	for _, a := range mine.Addrs {
		have[a] = true
	}
	for _, a := range mine.Pruned {
		have[a] = skipPruned
	}
	var want, prune []messages.VersionAddr
	for _, a := range theirs.Addrs {
		if !have[a] {
			want = append(want, a)
		}
	}
	for _, a := range theirs.Pruned {
		if !slices.Contains(mine.Pruned, a) {
			prune = append(prune, a)
		}
	}
	var recs []messages.SyncRecord
	for len(want) > 0 {
		n := min(len(want), batch, messages.MaxSyncGet)
		got := src.ask(messages.SyncGet{Addrs: want[:n]}).(messages.SyncRecords)
		want = append(got.Later, want[n:]...)
		recs = append(recs, got.Records...)
	}
	for first := true; first || len(recs) > 0; first = false {
		n := min(len(recs), batch)
		apply := messages.SyncApply{Records: recs[:n]}
		recs = recs[n:]
		if first {
			apply.Policy = policy
		}
		if len(recs) == 0 {
			apply.Pruned = prune
		}
		out.add(dst.ask(apply).(messages.SyncApplied))
	}
	return out
}

func (p *pulled) add(a messages.SyncApplied) {
	p.rounds++
	r := &p.applied
	r.Added, r.Present, r.Skipped, r.Unreadable = r.Added+a.Added, r.Present+a.Present, r.Skipped+a.Skipped, r.Unreadable+a.Unreadable
	r.Dropped, r.Learned, r.Conflicts = r.Dropped+a.Dropped, r.Learned+a.Learned, r.Conflicts+a.Conflicts
	r.Policy = r.Policy || a.Policy
	r.Root, r.Versions = a.Root, a.Versions
}

// listAll pages through SyncList for buckets (nil when there are none).
func listAll(p *peer, buckets []byte) messages.SyncListing {
	var all messages.SyncListing
	if len(buckets) == 0 {
		return all
	}
	after := messages.VersionAddr{}
	for {
		page := p.ask(messages.SyncList{Buckets: buckets, After: after, Limit: 7}).(messages.SyncListing)
		all.Addrs, all.Pruned = append(all.Addrs, page.Addrs...), append(all.Pruned, page.Pruned...)
		if !page.More {
			return all
		}
		after = page.Next
	}
}

// converge pulls between every ordered pair of peers until a whole round changes nothing; it
// returns the rounds it took (at most max).
func converge(peers []*peer, batch, maxRounds int) int {
	for round := 1; round <= maxRounds; round++ {
		changed := false
		for _, dst := range peers {
			for _, src := range peers {
				if dst == src {
					continue
				}
				r := pull(dst, src, batch).applied
				changed = changed || r.Added+r.Dropped+r.Learned > 0 || r.Policy
			}
		}
		if !changed {
			return round
		}
	}
	return maxRounds + 1
}

// sameState reports how converged peers disagree: their roots, a version one retains that
// another pruned, and (trusted peers) any path's heads or shown head.
func sameState(peers []*peer) error {
	pruned := map[messages.VersionAddr]string{}
	for _, p := range peers {
		for _, a := range listAll(p, allBuckets()).Pruned {
			pruned[a] = p.name
		}
	}
	var root [32]byte
	var files map[string]string
	var from string
	for i, p := range peers {
		s := p.summary(false)
		if i > 0 && s.Root != root {
			return fmt.Errorf("%s and %s have different roots", peers[0].name, p.name)
		}
		root = s.Root
		for _, a := range listAll(p, allBuckets()).Addrs {
			if by, ok := pruned[a]; ok {
				return fmt.Errorf("%s retains %s, which %s pruned", p.name, a, by)
			}
		}
		if p.untrusted {
			continue
		}
		got := map[string]string{}
		for _, f := range p.ask(messages.ListFiles{IncludeDeleted: true, Limit: 10000}).(messages.FileList).Files {
			got[f.Path] = fmt.Sprintf("shown=%.8s heads=%.8s deleted=%v", f.Version, f.Heads, f.Deleted)
		}
		if files != nil && !maps.Equal(files, got) {
			return fmt.Errorf("paths differ between %s and %s:\n%v\n%v", from, p.name, files, got)
		}
		files, from = got, p.name
	}
	return nil
}

func allBuckets() []byte {
	out := make([]byte, messages.SyncBuckets)
	for i := range out {
		out[i] = byte(i)
	}
	return out
}
