package blocks

import (
	"context"
	"fmt"
	"sync"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/persist"
)

// FetchResult says what became of each address of a fetch; every address (repeats removed)
// is in exactly one list, each in request order.
type FetchResult struct {
	// Had were in the store already: not fetched (and touched, so the collector's grace
	// period counts from now).
	Had []persist.Address
	// Got arrived, matched their addresses and were Put. They are not synced: durability is
	// the caller's (the committer syncs the store before committing references to them).
	Got []persist.Address
	// Missing: the peer does not hold them, or its copy failed verification there.
	Missing []persist.Address
	// Corrupt: bytes arrived that do not hash to the address; they were not stored.
	Corrupt []persist.Address
	// Left were not settled: the transfer ended (error, cancellation) before them. Fetching
	// again resumes with them.
	Left []persist.Address
	// Bytes is the size of the blocks in Got.
	Bytes int64
}

func (r *FetchResult) add(o FetchResult) {
	r.Had = append(r.Had, o.Had...)
	r.Got = append(r.Got, o.Got...)
	r.Missing = append(r.Missing, o.Missing...)
	r.Corrupt = append(r.Corrupt, o.Corrupt...)
	r.Left = append(r.Left, o.Left...)
	r.Bytes += o.Bytes
}

// Fetch copies addrs from peer into store, one stream per MaxBatch addresses, one stream at a
// time (the swarm key's cipher is per connection: more streams to one peer add no
// throughput). Blocks the store has are skipped; each arriving block is verified against its
// address before it is Put, so a corrupt block is never stored. It is resumable: a broken
// stream loses at most the block in flight, and the same call again fetches only what is
// still missing. On error the result says how far it got (the rest is in Left). Pin the
// addresses first if the collector runs: Fetch writes blocks nothing references yet.
func (c *Client) Fetch(ctx context.Context, peer p2p.PeerID, addrs []persist.Address, store persist.BlockStore) (FetchResult, error) {
	res, want, err := wanted(dedupe(addrs), store)
	if err != nil {
		return res, err
	}
	for start := 0; start < len(want); start += MaxBatch {
		batch := want[start:min(start+MaxBatch, len(want))]
		got, err := c.get(ctx, peer, batch, store)
		res.add(got)
		if err != nil {
			res.Left = append(res.Left, want[start+len(batch):]...)
			return res, err
		}
	}
	return res, nil
}

// get fetches one batch on one stream.
func (c *Client) get(ctx context.Context, peer p2p.PeerID, addrs []persist.Address, store persist.BlockStore) (res FetchResult, err error) {
	settled := make(map[persist.Address]bool, len(addrs))
	defer func() { // whatever the stream did not settle is left for the next call
		for _, a := range addrs {
			if !settled[a] {
				res.Left = append(res.Left, a)
			}
		}
	}()
	s, err := c.open(ctx, peer)
	if err != nil {
		return res, err
	}
	defer func() { s.finish(err == nil) }()
	if err := writeRequest(s, opGet, addrs); err != nil {
		return res, fail(ctx, peer, "get", err)
	}
	_ = s.CloseWrite()
	if _, err := readAnswer(s.br); err != nil {
		return res, fail(ctx, peer, "get", err)
	}

	var mu sync.Mutex // res and settled, shared with the putter
	var storeErr error
	pt := startPutter(store, func(it arrived, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			if storeErr == nil {
				storeErr = err
				_ = s.Reset() // stop the reader
			}
			return // left
		case it.buf == nil && it.code == resultCorrupt:
			res.Corrupt = append(res.Corrupt, it.addr)
		case it.buf == nil:
			res.Missing = append(res.Missing, it.addr)
		default:
			res.Got = append(res.Got, it.addr)
			res.Bytes += int64(it.n)
		}
		settled[it.addr] = true
		if it.buf != nil && c.cfg.OnBlock != nil {
			c.cfg.OnBlock(peer, it.addr, it.n)
		}
	})
	rerr := c.receive(s, addrs, pt)
	pt.close()
	mu.Lock()
	defer mu.Unlock()
	switch {
	case storeErr != nil:
		return res, fmt.Errorf("%w: fetching from %s: %w", ErrLocalStore, peer, storeErr)
	case rerr != nil:
		return res, fail(ctx, peer, "get", rerr)
	}
	return res, nil
}

// receive reads one block frame per address, in order, verifying each as it lands and handing
// it to the putter.
func (c *Client) receive(s *stream, addrs []persist.Address, pt *putter) error {
	for _, want := range addrs {
		s.deadline()
		a, n, err := readBlockHeader(s.br)
		if err != nil {
			return unexpected(err)
		}
		if a != want {
			return fmt.Errorf("%w: block %s where %s was due", ErrProtocol, a, want)
		}
		if n == 0 {
			pt.in <- arrived{addr: a, code: resultRefused}
			continue
		}
		buf := getBuf()
		good, err := readVerified(s.br, a, (*buf)[:n])
		switch {
		case err != nil:
			putBuf(buf)
			return err
		case !good:
			putBuf(buf)
			pt.in <- arrived{addr: a, code: resultCorrupt}
		default:
			pt.in <- arrived{addr: a, buf: buf, n: n}
		}
	}
	return nil
}

// wanted splits all (deduplicated addresses) into those the store has (res.Had, touched so the
// collector sees them used) and those to fetch; a failing store puts the unchecked rest in
// res.Left and wraps ErrLocalStore.
func wanted(all []persist.Address, store persist.BlockStore) (res FetchResult, want []persist.Address, err error) {
	want = make([]persist.Address, 0, len(all))
	for i, a := range all {
		held, err := store.Has(a)
		if err != nil {
			res.Left = append(want, all[i:]...)
			return res, nil, fmt.Errorf("%w: %w", ErrLocalStore, err)
		}
		if held {
			touch(store, a)
			res.Had = append(res.Had, a)
		} else {
			want = append(want, a)
		}
	}
	return res, want, nil
}
