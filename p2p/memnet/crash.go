package memnet

import (
	"fmt"
	"maps"
	"slices"

	"github.com/meshhold/meshhold/p2p"
)

// Crash takes id down at once: its links drop (peers get Disconnected events), every stream it has
// resets on both ends, and its handlers, topics, subscriptions and watchers are gone. Its transport
// answers ErrClosed from then on. Crashing a node that is down does nothing.
func (n *Network) Crash(id p2p.PeerID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	nd := n.nodes[id]
	if nd == nil || nd.dead {
		return
	}
	n.tracef(n.nowLocked(), "ctl", "crash", id, id, "", 0, nil)
	n.down(nd)
}

// Restart brings a crashed or closed node back as a new incarnation with no handlers or topics,
// relinked to the peers it was linked to when it went down that are up (links still cut both
// ways come back on Heal). It returns the new transport, which Node also returns from now on.
func (n *Network) Restart(id p2p.PeerID) (p2p.Transport, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	old := n.nodes[id]
	switch {
	case old == nil:
		return nil, fmt.Errorf("%w: %s", ErrUnknownNode, id)
	case !old.dead:
		return nil, fmt.Errorf("memnet: restart %s: still running", id)
	}
	nd := newNode(n, id)
	n.nodes[id] = nd
	n.tracef(n.nowLocked(), "ctl", "restart", id, id, "", 0, nil)
	for _, peer := range old.lastPeers {
		pn := n.nodes[peer]
		p := pairOf(id, peer)
		switch {
		case pn == nil || pn.dead || n.links[p] != nil:
		case n.cutBoth(p):
			n.pending[p] = true
		default:
			n.linkUp(p)
		}
	}
	return nd, nil
}

// down ends nd's incarnation.
func (n *Network) down(nd *node) {
	nd.dead = true
	peers := n.linkedPeers(nd.id)
	for p := range n.pending {
		if p.a == nd.id || p.b == nd.id {
			delete(n.pending, p)
			peers = append(peers, other(p, nd.id))
		}
	}
	slices.Sort(peers)
	nd.lastPeers = slices.Compact(peers)
	for _, peer := range n.linkedPeers(nd.id) {
		n.linkDown(n.links[pairOf(nd.id, peer)], "down")
	}
	for _, name := range slices.Sorted(maps.Keys(nd.topics)) {
		nd.topics[name].closeLocked()
	}
	nd.handlers = map[string]p2p.StreamHandler{}
	for _, w := range nd.watchers {
		w.off.Store(true)
	}
	nd.watchers = nil
}

func other(p pair, id p2p.PeerID) p2p.PeerID {
	if p.a == id {
		return p.b
	}
	return p.a
}
