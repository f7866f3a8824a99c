package memnet

import (
	"container/heap"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"
)

// frameKind says what a scheduled frame does when it is due.
type frameKind uint8

const (
	kindGossip      frameKind = iota // a gossip message (or a dropped one, for the trace)
	kindPipe                         // the head chunk of a stream direction
	kindStall                        // a stalled stream direction gives up
	kindDeadline                     // a stream end's deadline passes
	kindEvent                        // a peer event for one node
	kindLinkTimeout                  // a symmetric partition is detected; the link drops
)

// frame is one scheduled delivery. Frames are ordered by (at, key, n): key names the channel the
// frame belongs to and n counts that channel's frames, so the order never depends on which
// goroutine scheduled first.
type frame struct {
	at   time.Time
	key  string
	n    uint64
	idx  int // position in the heap; -1 once popped or removed
	kind frameKind

	gossip *gossipFrame
	pipe   *pipe
	end    *end
	event  *eventFrame
	link   *link
}

// channel is one ordered source of frames with its own seeded randomness: a gossip link for one
// topic, one direction of a stream, a node's peer events.
type channel struct {
	key  string
	rng  *rand.Rand
	next uint64
}

// frames is the delivery heap.
type frames []*frame

func (h frames) Len() int { return len(h) }
func (h frames) Less(i, j int) bool {
	a, b := h[i], h[j]
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	if a.key != b.key {
		return a.key < b.key
	}
	return a.n < b.n
}
func (h frames) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *frames) Push(x any) {
	f := x.(*frame)
	f.idx = len(*h)
	*h = append(*h, f)
}
func (h *frames) Pop() any {
	old := *h
	f := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	f.idx = -1
	return f
}

// chanKey joins the parts of a channel name with a byte no id, topic or protocol contains.
func chanKey(parts ...string) string { return strings.Join(parts, "\x1f") }

// newChannel returns a channel whose randomness derives from the seed and its key only.
func (n *Network) newChannel(key string) channel {
	h := fnv.New64a()
	h.Write([]byte(key))
	return channel{key: key, rng: rand.New(rand.NewPCG(n.seed, h.Sum64()))}
}

// chanFor returns the long-lived channel named key, creating it on first use.
func (n *Network) chanFor(key string) *channel {
	c, ok := n.chans[key]
	if !ok {
		nc := n.newChannel(key)
		c = &nc
		n.chans[key] = c
	}
	return c
}

// schedule pushes f onto the heap at at (never before now) as c's next frame.
func (n *Network) schedule(c *channel, at time.Time, f *frame) *frame {
	if now := n.nowLocked(); at.Before(now) {
		at = now
	}
	c.next++
	f.at, f.key, f.n = at, c.key, c.next
	heap.Push(&n.frames, f)
	if n.kick != nil {
		select {
		case n.kick <- struct{}{}:
		default:
		}
	}
	return f
}

// unschedule removes f from the heap if it is still there.
func (n *Network) unschedule(f *frame) {
	if f != nil && f.idx >= 0 {
		heap.Remove(&n.frames, f.idx)
	}
}

// latency draws Delay plus jitter from rng.
func (n *Network) latency(rng *rand.Rand) time.Duration {
	d := n.faults.Delay
	if j := n.faults.Jitter; j > 0 {
		d += time.Duration(rng.Int64N(int64(j) + 1))
	}
	return d
}
