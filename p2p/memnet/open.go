package memnet

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// OpenStream opens a stream to peer without waiting for it: the open travels like any frame
// (delayed, maybe dropped or held back) and the peer's handler starts when it arrives. Bytes
// written meanwhile queue behind the open. A dropped or refused open (no handler) resets the
// stream when word gets back; reads and writes then fail with ErrReset.
func (nd *node) OpenStream(ctx context.Context, peer p2p.PeerID, protocol string) (p2p.Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd.dead {
		return nil, ErrClosed
	}
	l := n.linkOf(nd.id, peer)
	if l == nil || peer == nd.id {
		return nil, fmt.Errorf("memnet: open %s to %s: %w", protocol, peer, ErrNotConnected)
	}
	key := chanKey("s", string(nd.id), string(peer), protocol)
	n.opened[key]++
	k := n.opened[key]
	s := &stream{
		id: chanKey(key, strconv.FormatUint(k, 10)), label: fmt.Sprintf("%s@%s.%d", protocol, nd.id, k),
		proto: protocol, link: l, peers: [2]p2p.PeerID{nd.id, peer},
	}
	for i := range s.pipes {
		s.pipes[i] = &pipe{channel: n.newChannel(chanKey(s.id, strconv.Itoa(i))), s: s, side: i}
	}
	e := n.newEnd(s, 0)
	l.streams[s.id] = s
	fwd := s.pipes[0]
	c := chunk{kind: chunkOpen, drop: fwd.rng.Float64() < n.faults.Drop}
	var hold time.Duration
	if c.held = fwd.rng.Float64() < n.faults.Reorder; c.held {
		hold = n.faults.holdBy()
	}
	n.enqueue(fwd, c, hold)
	return e, nil
}

// deliverOpen starts the acceptor's handler on a new goroutine, or refuses the open.
func (n *Network) deliverOpen(f *frame, p *pipe, c chunk) []func() {
	s := p.s
	var h p2p.StreamHandler
	if acc := n.nodes[s.peers[1]]; !acc.dead {
		h = acc.handlers[s.proto]
	}
	outcome := "open"
	switch {
	case c.drop:
		n.stats.Dropped++
		outcome = "drop"
	case h == nil:
		n.stats.Refused++
		outcome = "refuse"
	case c.held:
		n.stats.Reordered++
		outcome = "open+held"
	}
	n.tracef(f.at, "stream", outcome, s.peers[0], s.peers[1], s.label, f.n, nil)
	if outcome == "drop" || outcome == "refuse" {
		n.clearPipe(p)
		n.enqueue(s.pipes[1], chunk{kind: chunkReset}, 0)
		return nil
	}
	n.stats.Opened++
	e := n.newEnd(s, 1)
	return []func(){func() { go h(e) }}
}
