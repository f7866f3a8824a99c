package blocks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/persist"
)

// ErrUnsettled is wrapped by FetchAny's error when some blocks are Left: a holder failed and
// no other holder could supply them.
var ErrUnsettled = errors.New("blocks: some blocks could not be fetched from any holder")

// FetchAny fetches addrs into store from whichever of peers hold them. It asks every peer
// what it holds (HAVE, concurrently), then takes each block from the first holder in the
// order given — sort peers by RTT — fetching from several holders at once (one stream each,
// within the client's bound). A block a holder turns out to lack, sends corrupt, or does not
// deliver because its stream failed goes to the next holder; a peer whose stream failed gets
// no more blocks in this call. A block no peer holds is Missing; one only corrupt copies of
// arrived is Corrupt; one whose holders all failed (or whose holding is unknown because a peer
// did not answer HAVE) is Left, and the error wraps ErrUnsettled with the peers' errors. A
// failing local store or ctx ends the call at once.
func (c *Client) FetchAny(ctx context.Context, peers []p2p.PeerID, addrs []persist.Address, store persist.BlockStore) (FetchResult, error) {
	all := dedupe(addrs)
	res, want, err := wanted(all, store)
	if err != nil || len(want) == 0 {
		return res, err
	}
	peers = dedupePeers(peers, c.t.Self())
	peerErrs := make([]error, len(peers))
	failed := make([]bool, len(peers))

	// Who holds what.
	held := make([][]bool, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() { held[i], peerErrs[i] = c.Have(ctx, p, want) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		res.Left = append(res.Left, want...)
		return res, err
	}
	unknown := false // a peer did not say what it holds
	holders := make(map[persist.Address][]int, len(want))
	for i := range peers {
		if peerErrs[i] != nil {
			failed[i], unknown = true, true
			continue
		}
		for j, a := range want {
			if held[i][j] {
				holders[a] = append(holders[a], i)
			}
		}
	}

	// Rounds: each pending block goes to its next holder; what fails comes back.
	corrupt := map[persist.Address]bool{}
	broken := map[persist.Address]bool{} // a holder's stream failed on it
	pending := want
	for len(pending) > 0 {
		assigned := map[int][]persist.Address{}
		for _, a := range pending {
			hs := holders[a]
			for len(hs) > 0 && failed[hs[0]] {
				broken[a] = true // its holder failed earlier
				hs = hs[1:]
			}
			if len(hs) == 0 {
				switch {
				case corrupt[a]:
					res.Corrupt = append(res.Corrupt, a)
				case broken[a] || unknown:
					res.Left = append(res.Left, a)
				default:
					res.Missing = append(res.Missing, a)
				}
				delete(holders, a)
				continue
			}
			holders[a] = hs[1:]
			assigned[hs[0]] = append(assigned[hs[0]], a)
		}
		results := make([]FetchResult, len(peers))
		errs := make([]error, len(peers))
		for i, list := range assigned {
			wg.Go(func() { results[i], errs[i] = c.Fetch(ctx, peers[i], list, store) })
		}
		wg.Wait()
		pending = nil
		var local error
		for i := range peers {
			r := results[i]
			res.Had = append(res.Had, r.Had...) // fetched meanwhile by another caller
			res.Got = append(res.Got, r.Got...)
			res.Bytes += r.Bytes
			for _, a := range r.Corrupt {
				corrupt[a] = true
			}
			pending = append(pending, r.Missing...)
			pending = append(pending, r.Corrupt...)
			pending = append(pending, r.Left...)
			if errs[i] != nil {
				failed[i] = true
				peerErrs[i] = errs[i]
				for _, a := range r.Left {
					broken[a] = true
				}
				if errors.Is(errs[i], ErrLocalStore) {
					local = errs[i]
				}
			}
		}
		if err := cmp.Or(ctx.Err(), local); err != nil {
			res.Left = append(res.Left, pending...)
			res.sortBy(all)
			return res, err
		}
	}
	res.sortBy(all)
	if len(res.Left) > 0 {
		return res, fmt.Errorf("%w (%d of %d): %w", ErrUnsettled, len(res.Left), len(all), errors.Join(peerErrs...))
	}
	return res, nil
}

// sortBy puts every list in the order of all.
func (r *FetchResult) sortBy(all []persist.Address) {
	sortLists(all, r.Had, r.Got, r.Missing, r.Corrupt, r.Left)
}

// sortLists sorts each list, in place, in the order of all (first occurrence).
func sortLists(all []persist.Address, lists ...[]persist.Address) {
	pos := make(map[persist.Address]int, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		pos[all[i]] = i
	}
	for _, l := range lists {
		slices.SortFunc(l, func(x, y persist.Address) int { return cmp.Compare(pos[x], pos[y]) })
	}
}

// dedupePeers drops repeats and this node, keeping the order.
func dedupePeers(peers []p2p.PeerID, self p2p.PeerID) []p2p.PeerID {
	var out []p2p.PeerID
	for _, p := range peers {
		if p != self && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
