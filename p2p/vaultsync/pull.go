package vaultsync

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/persist"
)

// Stats is what one pull did.
type Stats struct {
	InSync  bool // the roots were equal: nothing to do
	Records int  // records applied
	Blocks  int  // blocks fetched
	Waiting int  // records held back because some of their blocks could not be fetched
	Corrupt int  // records whose bytes did not match their address (dropped)
}

// Puller pulls a vault's missing records and blocks from peers.
type Puller struct {
	T      p2p.Transport
	Cat    Catalog
	Fetch  Fetcher
	Blocks persist.BlockStore // checks what is local, and Sync makes fetched blocks durable
}

// getBatch is how many records one get asks for.
const getBatch = 512

// listBatch is how many buckets one list asks for.
const listBatch = 16

// Pull brings vault on this node up to what peer holds: it compares summaries, lists the
// differing buckets, gets the records this node lacks, fetches their blocks from holders (peer
// first) and, once those are durable, applies the records. A record whose blocks could not all
// be fetched waits for the next pull.
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
	if remote.Root == local.Root {
		st.InSync = true
		return st, nil
	}
	var differ []byte
	for i := range Buckets {
		if i >= len(local.Buckets) || remote.Buckets[i] != local.Buckets[i] {
			differ = append(differ, byte(i))
		}
	}
	var want [][32]byte
	for chunk := range slices.Chunk(differ, listBatch) {
		theirs, err := RemoteList(ctx, p.T, peer, vault, chunk)
		if err != nil {
			return st, err
		}
		ours, err := p.Cat.List(ctx, vault, chunk)
		if err != nil {
			return st, err
		}
		have := make(map[[32]byte]bool, len(ours))
		for _, a := range ours {
			have[a] = true
		}
		for _, a := range theirs {
			if !have[a] {
				want = append(want, a)
			}
		}
	}
	order := append([]p2p.PeerID{peer}, slices.DeleteFunc(slices.Clone(holders), func(h p2p.PeerID) bool { return h == peer })...)
	for chunk := range slices.Chunk(want, getBatch) {
		recs, err := RemoteGet(ctx, p.T, peer, vault, chunk)
		if err != nil {
			return st, err
		}
		n, err := p.applyBatch(ctx, vault, order, recs, &st)
		st.Records += n
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// applyBatch checks recs, fetches the blocks they need, syncs them and applies the records
// whose blocks are all here.
func (p *Puller) applyBatch(ctx context.Context, vault string, peers []p2p.PeerID, recs []Record, st *Stats) (int, error) {
	recs = slices.DeleteFunc(recs, func(r Record) bool {
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
			if seen[b] {
				continue
			}
			seen[b] = true
			if ok, err := p.Blocks.Has(b); err != nil {
				return 0, fmt.Errorf("block store: %w", err)
			} else if !ok {
				need = append(need, b)
			}
		}
	}
	missing := map[persist.Address]bool{}
	if len(need) > 0 {
		lost, err := p.Fetch.Fetch(ctx, peers, need)
		if err != nil && len(lost) == 0 {
			for _, b := range need {
				lost = append(lost, b)
			}
		}
		for _, b := range lost {
			missing[b] = true
		}
		st.Blocks += len(need) - len(lost)
		if err := p.Blocks.Sync(); err != nil {
			return 0, fmt.Errorf("sync fetched blocks: %w", err)
		}
	}
	ready := slices.DeleteFunc(recs, func(r Record) bool {
		for _, b := range r.Blocks {
			if missing[b] {
				st.Waiting++
				return true
			}
		}
		return false
	})
	if len(ready) == 0 {
		return 0, nil
	}
	applied, err := p.Cat.Apply(ctx, vault, ready)
	return applied.Added, err
}
