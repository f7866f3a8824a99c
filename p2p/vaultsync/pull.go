package vaultsync

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/persist"
)

// Stats is what one pull did.
type Stats struct {
	InSync  bool  // equal roots and no newer policy: nothing to do
	Records int   // records applied
	Pruned  int   // addresses learned from the peer's pruned set
	Policy  bool  // the peer's policy was adopted
	Blocks  int   // blocks fetched
	Bytes   int64 // their bytes
	Waiting int   // records held back: some of their blocks could not be fetched
	Corrupt int   // records whose bytes did not match their address (dropped)
}

// Puller pulls a vault's missing records and blocks from peers.
type Puller struct {
	T      p2p.Transport
	Cat    Catalog
	Fetch  Fetcher
	Blocks persist.BlockStore // checks what is local; Sync makes fetched blocks durable
	// Allow, if set, is asked before each batch of blocks is fetched, with the bytes this pull
	// fetched so far; an error (ErrHoldPaused for a storage budget) ends the pull with it.
	Allow func(vault string, fetched int64) error
}

// listBatch is how many buckets one list asks for, at most; listAddrs bounds the retained
// addresses one list answer is expected to carry (about 116 bytes each as JSON, pruned ones
// besides), so a vault of millions of versions asks for fewer buckets at a time and its
// answers stay well inside MaxFrame.
const (
	listBatch = 16
	listAddrs = 100_000
)

// listBatchFor is how many buckets to list at a time for a vault with versions retained.
func listBatchFor(versions int64) int {
	if versions <= 0 {
		return listBatch
	}
	return int(min(max(listAddrs*messages.SyncBuckets/versions, 1), listBatch))
}

// Pull brings vault on this node up to what peer holds: it compares summaries, lists the
// differing buckets, gets the records this node neither has nor pruned, fetches their blocks
// from holders (peer first) and, once those are durable, applies the records with the peer's
// pruned addresses and policy. A record whose blocks could not all be fetched waits for the
// next pull.
func (p *Puller) Pull(ctx context.Context, vault string, peer p2p.PeerID, holders []p2p.PeerID) (Stats, error) {
	var st Stats
	local, err := p.Cat.Summary(ctx, vault)
	if err != nil {
		return st, err
	}
	remote, err := RemoteSummary(ctx, p.T, peer, vault)
	if err != nil {
		return st, err
	}
	newerPolicy := remote.Policy.Newer(local.Policy)
	if remote.Root == local.Root && !newerPolicy {
		st.InSync = true
		return st, nil
	}
	var want, pruned []messages.VersionAddr
	for chunk := range slices.Chunk(messages.DiffBuckets(local, remote), listBatchFor(max(local.Versions, remote.Versions))) {
		theirs, theirPruned, err := RemoteList(ctx, p.T, peer, vault, chunk)
		if err != nil {
			return st, err
		}
		ours, ourPruned, err := p.Cat.List(ctx, vault, chunk)
		if err != nil {
			return st, err
		}
		known := make(map[messages.VersionAddr]bool, len(ours)+len(ourPruned))
		for _, a := range ours {
			known[a] = true
		}
		gone := make(map[messages.VersionAddr]bool, len(ourPruned))
		for _, a := range ourPruned {
			known[a], gone[a] = true, true
		}
		for _, a := range theirPruned {
			if !gone[a] {
				pruned = append(pruned, a)
			}
			known[a] = true // pruned there: not wanted (a set: a vault prunes many thousands)
		}
		for _, a := range theirs {
			if !known[a] {
				want = append(want, a)
			}
		}
	}
	// The policy goes with the first apply, the pruned list with the last: applied first, a
	// prune could drop a path's version before its successor arrives, and the path would
	// vanish and come back within one round.
	var apply messages.SyncApply
	if newerPolicy {
		apply.Policy = remote.Policy
	}
	order := append([]p2p.PeerID{peer}, slices.DeleteFunc(slices.Clone(holders), func(h p2p.PeerID) bool { return h == peer })...)
	for len(want) > 0 {
		if p.Allow != nil {
			if err := p.Allow(vault, st.Bytes); err != nil {
				return st, err
			}
		}
		batch := want[:min(len(want), messages.MaxSyncGet)]
		recs, err := RemoteGet(ctx, p.T, peer, vault, batch)
		if err != nil {
			return st, err
		}
		want = append(want[len(batch):], recs.Later...)
		if len(recs.Records) == 0 && len(recs.Later) == len(batch) {
			return st, fmt.Errorf("catalog get from %s: no progress", peer)
		}
		ready, err := p.ready(ctx, order, recs.Records, &st)
		if err != nil {
			return st, err
		}
		apply.Records = ready
		if err := p.apply(ctx, vault, &apply, &st); err != nil {
			return st, err
		}
	}
	apply.Pruned = pruned
	if err := p.apply(ctx, vault, &apply, &st); err != nil {
		return st, err
	}
	return st, nil
}

// apply sends a to the catalog in calls of at most messages.MaxSyncPruned pruned addresses,
// then empties it.
func (p *Puller) apply(ctx context.Context, vault string, a *messages.SyncApply, st *Stats) error {
	if len(a.Records) == 0 && len(a.Pruned) == 0 && a.Policy == nil {
		return nil
	}
	for len(a.Pruned) > messages.MaxSyncPruned {
		head := messages.SyncApply{Pruned: a.Pruned[:messages.MaxSyncPruned]}
		res, err := p.Cat.Apply(ctx, vault, head)
		if err != nil {
			return err
		}
		st.Pruned += res.Learned
		a.Pruned = a.Pruned[messages.MaxSyncPruned:]
	}
	res, err := p.Cat.Apply(ctx, vault, *a)
	if err != nil {
		return err
	}
	st.Records += res.Added
	st.Pruned += res.Learned
	st.Policy = st.Policy || res.Policy
	a.Records, a.Pruned, a.Policy = nil, nil, nil
	return nil
}

// present reports whether block a is here and intact. A block file that is here but does not
// match its address (torn by a crash after a pull that fetched it ended before its sync) is
// deleted, so the fetch puts a good copy in its place: the record must not be applied over it.
func (p *Puller) present(a persist.Address) (bool, error) {
	ok, err := p.Blocks.Has(a)
	if err != nil || !ok {
		return false, wrapStore(err)
	}
	if _, err := p.Blocks.Get(a); errors.Is(err, persist.ErrBlockMissing) {
		return false, wrapStore(p.Blocks.Delete(a))
	} else if err != nil {
		return false, wrapStore(err)
	}
	return true, nil
}

func wrapStore(err error) error {
	if err != nil {
		return fmt.Errorf("block store: %w", err)
	}
	return nil
}

// ready checks recs against their addresses, fetches the blocks they need, syncs them, and
// returns the records whose blocks are all here.
func (p *Puller) ready(ctx context.Context, peers []p2p.PeerID, recs []messages.SyncRecord, st *Stats) ([]messages.SyncRecord, error) {
	recs = slices.DeleteFunc(recs, func(r messages.SyncRecord) bool {
		if sha256.Sum256(r.Sealed) != r.Addr {
			st.Corrupt++
			return true
		}
		return false
	})
	var need []persist.Address
	seen := map[persist.Address]bool{}
	for _, r := range recs {
		for _, b := range r.Blocks {
			a := persist.Address(b)
			if seen[a] {
				continue
			}
			seen[a] = true
			ok, err := p.present(a)
			if err != nil {
				return nil, err
			}
			if !ok {
				need = append(need, a)
			}
		}
	}
	missing := map[persist.Address]bool{}
	if len(need) > 0 {
		lost, n, err := p.Fetch.Fetch(ctx, peers, need)
		if err != nil && len(lost) == 0 {
			lost = need
		}
		st.Bytes += n
		for _, b := range lost {
			missing[b] = true
		}
		st.Blocks += len(need) - len(lost)
	}
	// Blocks fetched now, and present ones an earlier pull fetched whose sync failed, are made
	// durable before any record that references them is applied.
	if len(recs) > 0 {
		if err := p.Blocks.Sync(); err != nil {
			return nil, fmt.Errorf("sync fetched blocks: %w", err)
		}
	}
	return slices.DeleteFunc(recs, func(r messages.SyncRecord) bool {
		for _, b := range r.Blocks {
			if missing[persist.Address(b)] {
				st.Waiting++
				return true
			}
		}
		return false
	}), nil
}
