package memnet

import (
	"slices"
	"sync/atomic"

	"github.com/meshhold/meshhold/p2p"
)

// node is one incarnation of a peer and its p2p.Transport. Crash or Close ends it; Restart makes a
// new one under the same id.
type node struct {
	net       *Network
	id        p2p.PeerID
	dead      bool
	handlers  map[string]p2p.StreamHandler
	topics    map[string]*topic
	watchers  []*watcher
	lastPeers []p2p.PeerID // linked peers when it went down, relinked by Restart
}

// watcher is one WatchPeers registration; off is set by cancel, so a delivery already on its way
// is skipped.
type watcher struct {
	fn  func(p2p.PeerEvent)
	off atomic.Bool
}

// eventFrame is a peer event on its way to one node incarnation.
type eventFrame struct {
	to *node
	ev p2p.PeerEvent
}

var _ p2p.Transport = (*node)(nil)

func newNode(n *Network, id p2p.PeerID) *node {
	return &node{net: n, id: id, handlers: map[string]p2p.StreamHandler{}, topics: map[string]*topic{}}
}

// Self is this node's peer id.
func (nd *node) Self() p2p.PeerID { return nd.id }

// SetStreamHandler serves protocol with h; opens delivered from now on start h on a new goroutine.
func (nd *node) SetStreamHandler(protocol string, h p2p.StreamHandler) {
	nd.net.mu.Lock()
	defer nd.net.mu.Unlock()
	if !nd.dead {
		nd.handlers[protocol] = h
	}
}

// RemoveStreamHandler stops serving protocol; later opens are refused.
func (nd *node) RemoveStreamHandler(protocol string) {
	nd.net.mu.Lock()
	defer nd.net.mu.Unlock()
	delete(nd.handlers, protocol)
}

// Peers lists the peers this node has a live link to, sorted. A partition not yet detected (see
// Config.Timeout) still counts as connected.
func (nd *node) Peers() []p2p.PeerID {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd.dead {
		return nil
	}
	return n.linkedPeers(nd.id)
}

// WatchPeers calls fn, from the goroutine that runs Step, for each peer event delivered to this node.
func (nd *node) WatchPeers(fn func(p2p.PeerEvent)) (cancel func()) {
	n := nd.net
	w := &watcher{fn: fn}
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd.dead {
		return func() {}
	}
	nd.watchers = append(nd.watchers, w)
	return func() {
		w.off.Store(true)
		n.mu.Lock()
		defer n.mu.Unlock()
		nd.watchers = slices.DeleteFunc(nd.watchers, func(x *watcher) bool { return x == w })
	}
}

// Close takes the node down like Crash: links drop, streams reset, topics and handlers go.
func (nd *node) Close() error {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd.dead {
		return nil
	}
	n.tracef(n.nowLocked(), "ctl", "close", nd.id, nd.id, "", 0, nil)
	n.down(nd)
	return nil
}

// emitEvent schedules a peer event for to, now, on its event channel.
func (n *Network) emitEvent(to *node, peer p2p.PeerID, connected bool) {
	if to == nil || to.dead {
		return
	}
	c := n.chanFor(chanKey("ev", string(to.id)))
	n.schedule(c, n.nowLocked(), &frame{kind: kindEvent, event: &eventFrame{to: to, ev: p2p.PeerEvent{Peer: peer, Connected: connected}}})
}

// deliverEvent hands a due peer event to the watchers of its node incarnation.
func (n *Network) deliverEvent(f *frame) []func() {
	e := f.event
	what := "disconnected"
	if e.ev.Connected {
		what = "connected"
	}
	if e.to.dead || n.nodes[e.to.id] != e.to {
		n.tracef(f.at, "event", "lost", e.ev.Peer, e.to.id, what, f.n, nil)
		return nil
	}
	n.stats.Events++
	n.tracef(f.at, "event", "deliver", e.ev.Peer, e.to.id, what, f.n, nil)
	out := make([]func(), 0, len(e.to.watchers))
	for _, w := range e.to.watchers {
		ev := e.ev
		out = append(out, func() {
			if !w.off.Load() {
				w.fn(ev)
			}
		})
	}
	return out
}
