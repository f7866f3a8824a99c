package memnet

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// topic is one node's membership of a gossip topic. Messages go one hop, straight to every linked
// peer subscribed at publish time; there is no relaying through other peers.
type topic struct {
	node   *node
	name   string
	subs   []*sub
	closed bool
}

// sub is one Subscribe callback; off is set by cancel.
type sub struct {
	fn  func(p2p.Message)
	off atomic.Bool
}

// gossipFrame is one copy of a message on its way to one peer, with the faults drawn for it.
type gossipFrame struct {
	topic                string
	from, to             p2p.PeerID
	link                 *link
	data                 []byte
	drop, dup, held, cut bool
}

var _ p2p.Topic = (*topic)(nil)

// Join joins topic; a node joins each topic once until it closes it.
func (nd *node) Join(name string) (p2p.Topic, error) {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd.dead {
		return nil, ErrClosed
	}
	if nd.topics[name] != nil {
		return nil, fmt.Errorf("%w: %s", ErrTopicJoined, name)
	}
	t := &topic{node: nd, name: name}
	nd.topics[name] = t
	return t, nil
}

// Publish schedules data for every linked peer subscribed to the topic, each copy with its own
// drop, duplicate, delay and reorder draws from the (from, to, topic) channel. It never blocks.
func (t *topic) Publish(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := t.node.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if t.closed || t.node.dead {
		return ErrClosed
	}
	from, now := t.node.id, n.nowLocked()
	data = slices.Clone(data)
	for _, peer := range n.linkedPeers(from) {
		if !n.nodes[peer].subscribed(t.name) {
			continue
		}
		n.count(from, peer, len(data))
		c := n.chanFor(chanKey("g", string(from), string(peer), t.name))
		n.sendGossip(c, now, gossipFrame{topic: t.name, from: from, to: peer, link: n.linkOf(from, peer), data: data})
	}
	return nil
}

// sendGossip draws the faults for one message on c and schedules its copies. A dropped message
// is still scheduled, so that the trace records the drop in delivery order.
func (n *Network) sendGossip(c *channel, now time.Time, g gossipFrame) {
	f := n.faults
	g.cut = n.cut[dir{g.from, g.to}]
	if c.rng.Float64() < f.Drop {
		g.drop = true
		n.schedule(c, now.Add(f.Delay), &frame{kind: kindGossip, gossip: &g})
		return
	}
	copies := 1
	if c.rng.Float64() < f.Duplicate {
		copies = 2
	}
	for i := range copies {
		gi := g
		gi.dup = i == 1
		at := now.Add(n.latency(c.rng))
		if c.rng.Float64() < f.Reorder {
			at, gi.held = at.Add(f.holdBy()), true
		}
		n.schedule(c, at, &frame{kind: kindGossip, gossip: &gi})
	}
}

// deliverGossip hands a due message to the receiver's subscriptions, unless it was dropped or cut,
// or the link, node or subscription is gone.
func (n *Network) deliverGossip(f *frame) []func() {
	g := f.gossip
	outcome := "deliver"
	if g.dup {
		outcome = "dup"
	}
	if g.held {
		outcome += "+held"
	}
	var subs []*sub
	if g.link.alive {
		if t := n.nodes[g.to].topics[g.topic]; t != nil {
			subs = t.subs
		}
	}
	switch {
	case g.drop:
		n.stats.Dropped++
		outcome = "drop"
	case g.cut || n.cut[dir{g.from, g.to}]:
		n.stats.Cut++
		outcome = "cut"
	case len(subs) == 0:
		n.stats.Lost++
		outcome = "lost"
	}
	n.tracef(f.at, "gossip", outcome, g.from, g.to, g.topic, f.n, g.data)
	if outcome == "drop" || outcome == "cut" || outcome == "lost" {
		return nil
	}
	n.stats.Delivered++
	if g.dup {
		n.stats.Duplicated++
	}
	if g.held {
		n.stats.Reordered++
	}
	out := make([]func(), 0, len(subs))
	for _, s := range subs {
		msg := p2p.Message{Topic: g.topic, From: g.from, Data: slices.Clone(g.data)}
		out = append(out, func() {
			if !s.off.Load() {
				s.fn(msg)
			}
		})
	}
	return out
}

// Subscribe calls fn, from the goroutine that runs Step, for each message delivered to this node.
// fn must not block on the network: delivery waits for it.
func (t *topic) Subscribe(fn func(p2p.Message)) (cancel func(), err error) {
	n := t.node.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if t.closed || t.node.dead {
		return nil, ErrClosed
	}
	s := &sub{fn: fn}
	t.subs = append(t.subs, s)
	return func() {
		s.off.Store(true)
		n.mu.Lock()
		defer n.mu.Unlock()
		t.subs = slices.DeleteFunc(t.subs, func(x *sub) bool { return x == s })
	}, nil
}

// Close leaves the topic; its subscriptions stop and the node may Join it again.
func (t *topic) Close() error {
	n := t.node.net
	n.mu.Lock()
	defer n.mu.Unlock()
	t.closeLocked()
	return nil
}

func (t *topic) closeLocked() {
	if t.closed {
		return
	}
	t.closed = true
	for _, s := range t.subs {
		s.off.Store(true)
	}
	t.subs = nil
	if t.node.topics[t.name] == t {
		delete(t.node.topics, t.name)
	}
}

// subscribed reports whether nd has a live subscription to name.
func (nd *node) subscribed(name string) bool {
	t := nd.topics[name]
	return !nd.dead && t != nil && len(t.subs) > 0
}
