package memnet

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// Stats counts what the network did, for assertions and "sometimes" checks.
type Stats struct {
	Delivered  int // gossip messages handed to subscribers, duplicates included
	Duplicated int // duplicate gossip copies delivered
	Reordered  int // held-back gossip messages and stream opens delivered
	Dropped    int // gossip messages and stream opens lost to Drop
	Cut        int // gossip messages lost to a partition
	Lost       int // gossip messages whose link, node or subscription was gone
	Opened     int // streams accepted by a handler
	Refused    int // stream opens with no handler or no live node
	Stalled    int // stream directions that hit a partition
	Resets     int // streams reset, for any reason
	Timeouts   int // stalls and symmetric partitions that outlasted the timeout
	Events     int // peer events delivered
}

// Stats returns the counts so far.
func (n *Network) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stats
}

// tracef writes one frame line:
//
//	+<offset from New> <kind> <outcome> <from>><to> <label> #<seq in channel> [len=<bytes> h=<fnv-64a>]
//
// (the payload part for gossip and stream bytes), or a control line: +<offset> ctl <action> <ids>.
// It is written only from Step (in heap order) and from control calls, so its text depends only on
// the seed and the calls made on each channel.
func (n *Network) tracef(at time.Time, kind, outcome string, from, to p2p.PeerID, label string, seq uint64, data []byte) {
	if n.trace == nil {
		return
	}
	if kind == "ctl" && from == to {
		fmt.Fprintf(n.trace, "+%v ctl %s %s\n", offset(at, n.epoch), outcome, from)
		return
	}
	if kind == "ctl" {
		fmt.Fprintf(n.trace, "+%v ctl %s %s>%s\n", offset(at, n.epoch), outcome, from, to)
		return
	}
	if data == nil && kind != "gossip" {
		fmt.Fprintf(n.trace, "+%v %s %s %s>%s %s #%d\n", offset(at, n.epoch), kind, outcome, from, to, label, seq)
		return
	}
	h := fnv.New64a()
	h.Write(data)
	fmt.Fprintf(n.trace, "+%v %s %s %s>%s %s #%d len=%d h=%016x\n",
		offset(at, n.epoch), kind, outcome, from, to, label, seq, len(data), h.Sum64())
}

func offset(at, epoch time.Time) time.Duration { return at.Sub(epoch) }
