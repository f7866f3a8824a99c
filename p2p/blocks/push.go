package blocks

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/persist"
)

// PushResult says what became of each address of a push; every address (repeats removed) is
// in exactly one list, each in request order.
type PushResult struct {
	// Held: the peer had them already (and touched them).
	Held []persist.Address
	// Sent: the peer verified and stored them (not yet synced there).
	Sent []persist.Address
	// Refused: the peer would not take them (its Accept, a block larger than its per-stream
	// budget, or its store failed).
	Refused []persist.Address
	// Corrupt: the peer received bytes that did not match (a fault on the way; push again).
	Corrupt []persist.Address
	// Missing: not in the local store, or failing verification here: nothing to send.
	Missing []persist.Address
	// Left were not settled: the transfer ended before them. Pushing again resumes.
	Left []persist.Address
	// Bytes is the size of the blocks in Sent.
	Bytes int64
}

// Push offers addrs to peer and sends, from store, the blocks it lacks and accepts: one stream
// per MaxBatch addresses (or per the peer's byte budget per stream), one at a time. Each block
// is read verified here and verified again there before the peer stores it.
func (c *Client) Push(ctx context.Context, peer p2p.PeerID, addrs []persist.Address, store persist.BlockStore) (PushResult, error) {
	var res PushResult
	pending := dedupe(addrs)
	for len(pending) > 0 {
		batch := pending[:min(MaxBatch, len(pending))]
		rest, err := c.put(ctx, peer, batch, store, &res)
		if err != nil {
			res.Left = append(res.Left, rest...)
			res.Left = append(res.Left, pending[len(batch):]...)
			res.sortBy(addrs)
			return res, err
		}
		if len(rest) == len(batch) { // the peer took nothing from this batch: do not loop
			res.Refused = append(res.Refused, rest...)
			rest = nil
		}
		pending = append(rest, pending[len(batch):]...)
	}
	res.sortBy(addrs)
	return res, nil
}

// sortBy puts every list in the order of addrs.
func (r *PushResult) sortBy(addrs []persist.Address) {
	sortLists(addrs, r.Held, r.Sent, r.Refused, r.Corrupt, r.Missing, r.Left)
}

// put runs one put stream; rest is what it did not settle, in order: the blocks past the
// peer's budget (to push on a new stream) or, on error, everything unsettled.
func (c *Client) put(ctx context.Context, peer p2p.PeerID, addrs []persist.Address, store persist.BlockStore, res *PushResult) (rest []persist.Address, err error) {
	settled := make(map[persist.Address]bool, len(addrs))
	var mu sync.Mutex // settled and res, shared with the result reader
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range addrs {
			if !settled[a] {
				rest = append(rest, a)
			}
		}
	}()
	settle := func(a persist.Address, list *[]persist.Address) {
		mu.Lock()
		defer mu.Unlock()
		*list = append(*list, a)
		settled[a] = true
	}

	s, err := c.open(ctx, peer)
	if err != nil {
		return nil, err
	}
	defer func() { s.finish(err == nil) }()
	if err := writeRequest(s, opPut, addrs); err != nil {
		return nil, fail(ctx, peer, "put", err)
	}
	ans, err := readAnswer(s.br)
	if err != nil {
		return nil, fail(ctx, peer, "put", err)
	}
	if len(ans) != 8+len(addrs) {
		return nil, fail(ctx, peer, "put", fmt.Errorf("%w: an offer answer of %d bytes for %d addresses", ErrProtocol, len(ans), len(addrs)))
	}
	budget := int64(binary.BigEndian.Uint64(ans))
	var send []persist.Address
	for i, a := range addrs {
		switch ans[8+i] {
		case offerSend:
			send = append(send, a)
		case offerHeld:
			settle(a, &res.Held)
		case offerRefused:
			settle(a, &res.Refused)
		default:
			return nil, fail(ctx, peer, "put", fmt.Errorf("%w: unknown offer code %d", ErrProtocol, ans[8+i]))
		}
	}

	// Results come back while blocks go out.
	sizes := map[persist.Address]int{} // what was sent, awaiting a result
	results := make(chan error, 1)
	go func() {
		err := c.readResults(s, func(a persist.Address, code byte) error {
			mu.Lock()
			n, ok := sizes[a]
			delete(sizes, a)
			mu.Unlock()
			if !ok {
				return fmt.Errorf("%w: a result for %s, which was not sent", ErrProtocol, a)
			}
			switch code {
			case resultStored:
				settle(a, &res.Sent)
				mu.Lock()
				res.Bytes += int64(n)
				mu.Unlock()
				if c.cfg.OnBlock != nil {
					c.cfg.OnBlock(peer, a, n)
				}
			case resultCorrupt:
				settle(a, &res.Corrupt)
			case resultRefused, resultFailed:
				settle(a, &res.Refused)
			case resultBudget: // left for the next stream
			}
			return nil
		})
		if err != nil {
			_ = s.Reset() // stop the writer too
		}
		results <- err
	}()
	werr := c.sendBlocks(s, send, store, budget, func(a persist.Address, n int) {
		mu.Lock()
		defer mu.Unlock()
		sizes[a] = n
	}, func(a persist.Address) { settle(a, &res.Missing) })
	if werr == nil {
		werr = s.CloseWrite()
	} else {
		_ = s.Reset()
	}
	rerr := <-results
	if err := errors.Join(werr, rerr); err != nil {
		return nil, fail(ctx, peer, "put", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) > 0 {
		return nil, fail(ctx, peer, "put", fmt.Errorf("%w: %d blocks sent without a result", ErrProtocol, len(sizes)))
	}
	return nil, nil
}

// sendBlocks writes the block frames of addrs, read from store one block ahead, until the
// list ends or the next block would go past budget; blocks not readable here are missing.
func (c *Client) sendBlocks(s *stream, addrs []persist.Address, store persist.BlockStore, budget int64,
	sent func(persist.Address, int), missing func(persist.Address)) error {
	ld := startLoader(store, addrs)
	defer ld.stop()
	var total int64
	for it := range ld.out {
		if it.buf == nil {
			missing(it.addr)
			continue
		}
		if total+int64(it.n) > budget {
			it.release()
			return nil // the rest goes on a new stream
		}
		total += int64(it.n)
		sent(it.addr, it.n)
		s.deadline()
		_, err := s.Write(it.frame())
		it.release()
		if err != nil {
			return err
		}
	}
	return nil
}

// readResults reads put results until the peer ends the stream.
func (c *Client) readResults(s *stream, fn func(persist.Address, byte) error) error {
	for {
		a, code, err := readResult(s.br)
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
		if err := fn(a, code); err != nil {
			return err
		}
	}
}
