package memnet

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/meshhold/meshhold/p2p"
)

// link is one live connection between two node incarnations; its streams die with it.
type link struct {
	p       pair
	alive   bool
	streams map[string]*stream
	timer   *frame // set while a symmetric partition waits to be detected
}

// Connect links a and b; both get a Connected event. Linking linked nodes is a no-op.
func (n *Network) Connect(a, b p2p.PeerID) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if a == b {
		return fmt.Errorf("memnet: connect %s to itself", a)
	}
	for _, id := range []p2p.PeerID{a, b} {
		if _, err := n.live(id); err != nil {
			return err
		}
	}
	p := pairOf(a, b)
	if n.links[p] != nil {
		return nil
	}
	if n.cutBoth(p) {
		return fmt.Errorf("memnet: connect %s and %s: %w", a, b, ErrPartitioned)
	}
	n.tracef(n.nowLocked(), "ctl", "connect", a, b, "", 0, nil)
	n.linkUp(p)
	return nil
}

// Disconnect drops the link between a and b: its streams reset, both get a Disconnected event.
func (n *Network) Disconnect(a, b p2p.PeerID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := pairOf(a, b)
	delete(n.pending, p)
	if l := n.links[p]; l != nil {
		n.tracef(n.nowLocked(), "ctl", "disconnect", a, b, "", 0, nil)
		n.linkDown(l, "disconnect")
	}
}

func (n *Network) linkUp(p pair) {
	l := &link{p: p, alive: true, streams: map[string]*stream{}}
	n.links[p] = l
	delete(n.pending, p)
	n.emitEvent(n.nodes[p.a], p.b, true)
	n.emitEvent(n.nodes[p.b], p.a, true)
	n.armPartitionTimer(l)
}

func (n *Network) linkDown(l *link, reason string) {
	l.alive = false
	delete(n.links, l.p)
	n.unschedule(l.timer)
	l.timer = nil
	for _, id := range slices.Sorted(maps.Keys(l.streams)) {
		n.resetStream(l.streams[id], reason)
	}
	n.emitEvent(n.nodes[l.p.a], l.p.b, false)
	n.emitEvent(n.nodes[l.p.b], l.p.a, false)
}

// linkedPeers lists, sorted, the peers id has a live link to.
func (n *Network) linkedPeers(id p2p.PeerID) []p2p.PeerID {
	var out []p2p.PeerID
	for p := range n.links {
		switch id {
		case p.a:
			out = append(out, p.b)
		case p.b:
			out = append(out, p.a)
		}
	}
	slices.Sort(out)
	return out
}

// linkOf returns the live link between a and b, or nil.
func (n *Network) linkOf(a, b p2p.PeerID) *link { return n.links[pairOf(a, b)] }

func comparePairs(x, y pair) int {
	if c := cmp.Compare(x.a, y.a); c != 0 {
		return c
	}
	return cmp.Compare(x.b, y.b)
}
