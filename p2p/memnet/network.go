package memnet

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// Network is one simulated mesh: its nodes, links, partitions and the heap every frame waits in.
// All of its state sits behind one mutex; callbacks and handlers run outside it.
type Network struct {
	mu      sync.Mutex
	seed    uint64
	faults  Faults
	timeout time.Duration
	clock   func() time.Time
	trace   io.Writer
	epoch   time.Time // the clock at New; trace times are offsets from it
	floor   time.Time // Advance and RunUntilIdle move the clock at least this far

	frames  frames
	chans   map[string]*channel
	nodes   map[p2p.PeerID]*node
	links   map[pair]*link
	cut     map[dir]bool
	pending map[pair]bool // links a partition dropped; Heal restores them
	opened  map[string]uint64
	stats   Stats
	traffic map[p2p.PeerID]*[2]uint64 // bytes in, out per node id, counted when sent
	kick    chan struct{}             // set while Run waits
}

// pair names an undirected link; a < b.
type pair struct{ a, b p2p.PeerID }

// dir names one direction between two nodes.
type dir struct{ from, to p2p.PeerID }

func pairOf(x, y p2p.PeerID) pair {
	if y < x {
		x, y = y, x
	}
	return pair{x, y}
}

// New returns an empty network whose faults all derive from seed. It panics if cfg is invalid.
func New(seed uint64, cfg Config) *Network {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	n := &Network{
		seed: seed, faults: cfg.Faults, timeout: cfg.Timeout, clock: cfg.Now, trace: cfg.Trace,
		chans: map[string]*channel{}, nodes: map[p2p.PeerID]*node{}, links: map[pair]*link{},
		cut: map[dir]bool{}, pending: map[pair]bool{}, opened: map[string]uint64{},
		traffic: map[p2p.PeerID]*[2]uint64{},
	}
	n.epoch = n.clock()
	n.floor = n.epoch
	return n
}

// Node returns id's transport, creating the node on first use. After Crash it returns the dead
// incarnation until Restart.
func (n *Network) Node(id p2p.PeerID) p2p.Transport {
	if id == "" {
		panic("memnet: empty peer id")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	nd, ok := n.nodes[id]
	if !ok {
		nd = newNode(n, id)
		n.nodes[id] = nd
		n.tracef(n.nowLocked(), "ctl", "node", id, id, "", 0, nil)
	}
	return nd
}

// SetFaults replaces the fault model for frames sent from now on.
func (n *Network) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.faults = f
	return nil
}

// Now is the network's clock: the configured clock, or later if Advance or RunUntilIdle moved it.
func (n *Network) Now() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nowLocked()
}

func (n *Network) nowLocked() time.Time {
	if now := n.clock(); now.After(n.floor) {
		return now
	}
	return n.floor
}

// live returns id's current incarnation, or an error if it is unknown or down.
func (n *Network) live(id p2p.PeerID) (*node, error) {
	nd, ok := n.nodes[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: %s", ErrUnknownNode, id)
	case nd.dead:
		return nil, fmt.Errorf("%w: %s", ErrNodeDown, id)
	}
	return nd, nil
}
