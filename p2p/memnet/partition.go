package memnet

import (
	"maps"
	"slices"

	"github.com/meshhold/meshhold/p2p"
)

// Partition cuts a and b from each other in both directions. Frames in flight between them are
// lost, open streams stall, and if the cut outlasts Timeout the link drops: streams reset and both
// get a Disconnected event. Heal before that and nobody notices beyond the delay.
func (n *Network) Partition(a, b p2p.PeerID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.tracef(n.nowLocked(), "ctl", "partition", a, b, "", 0, nil)
	n.cut[dir{a, b}] = true
	n.cut[dir{b, a}] = true
	if l := n.linkOf(a, b); l != nil {
		n.armPartitionTimer(l)
	}
}

// PartitionOneWay cuts frames from from to to only: gossip that way is lost, streams that way
// stall (and reset after Timeout). The link stays up and the other direction still delivers.
func (n *Network) PartitionOneWay(from, to p2p.PeerID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.tracef(n.nowLocked(), "ctl", "cut", from, to, "", 0, nil)
	n.cut[dir{from, to}] = true
	if l := n.linkOf(from, to); l != nil {
		n.armPartitionTimer(l)
	}
}

// Heal removes every cut between two of ids, in both directions; with no ids, every cut. Stalled
// streams resume in order; links a partition dropped come back with Connected events.
func (n *Network) Heal(ids ...p2p.PeerID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	in := func(id p2p.PeerID) bool { return len(ids) == 0 || slices.Contains(ids, id) }
	var cuts []dir
	for d := range n.cut {
		if in(d.from) && in(d.to) {
			cuts = append(cuts, d)
		}
	}
	n.healDirs(cuts)
}

// HealOneWay removes the cut from from to to only.
func (n *Network) HealOneWay(from, to p2p.PeerID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cut[dir{from, to}] {
		n.healDirs([]dir{{from, to}})
	}
}

func (n *Network) healDirs(cuts []dir) {
	slices.SortFunc(cuts, func(x, y dir) int { return comparePairs(pair{x.from, x.to}, pair{y.from, y.to}) })
	affected := map[pair]bool{}
	for _, d := range cuts {
		n.tracef(n.nowLocked(), "ctl", "heal", d.from, d.to, "", 0, nil)
		delete(n.cut, d)
		affected[pairOf(d.from, d.to)] = true
	}
	for _, p := range slices.SortedFunc(maps.Keys(affected), comparePairs) {
		n.healed(p)
	}
}

// healed resumes what the cuts on p held back.
func (n *Network) healed(p pair) {
	l := n.links[p]
	if l == nil {
		if n.pending[p] && !n.cutBoth(p) {
			a, b := n.nodes[p.a], n.nodes[p.b]
			delete(n.pending, p)
			if a != nil && !a.dead && b != nil && !b.dead {
				n.linkUp(p)
			}
		}
		return
	}
	if !n.cutBoth(p) {
		n.unschedule(l.timer)
		l.timer = nil
	}
	for _, id := range slices.Sorted(maps.Keys(l.streams)) {
		for _, pp := range l.streams[id].pipes {
			if pp.stalled && !n.cut[pp.dir()] {
				n.unstall(pp)
			}
		}
	}
}

func (n *Network) cutBoth(p pair) bool { return n.cut[dir{p.a, p.b}] && n.cut[dir{p.b, p.a}] }

// armPartitionTimer starts detection of a symmetric partition on l.
func (n *Network) armPartitionTimer(l *link) {
	if l.timer != nil || !n.cutBoth(l.p) {
		return
	}
	c := n.chanFor(chanKey("link", string(l.p.a), string(l.p.b)))
	l.timer = n.schedule(c, n.nowLocked().Add(n.timeout), &frame{kind: kindLinkTimeout, link: l})
}

// deliverLinkTimeout drops a link whose symmetric partition outlasted the timeout; Heal restores it.
func (n *Network) deliverLinkTimeout(f *frame) {
	l := f.link
	l.timer = nil
	if !l.alive || !n.cutBoth(l.p) {
		return
	}
	n.stats.Timeouts++
	n.tracef(f.at, "link", "timeout", l.p.a, l.p.b, "", f.n, nil)
	n.pending[l.p] = true
	n.linkDown(l, "partition")
}
