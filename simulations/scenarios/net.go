package scenarios

import (
	"time"

	"github.com/meshhold/meshhold/simulations/sim"
)

// GossipNet is the tier-2 network simulation: three to five whole nodes (actors/node, memstore,
// membus) over p2p/memnet, each bumping its own grow-only counter and gossiping its counter map
// on one topic, while the network drops, duplicates, delays and reorders, partitions isolate a
// node both ways or one way, and nodes crash, restart and pause. A partition must cut exactly
// what it says (nobody learns an isolated node's new counts); after the network heals, every
// node converges on every node's own count.
var GossipNet = sim.Scenario{
	Name: "gossip-net",
	Test: "TestGossipNet",
	Sometimes: []string{
		"partition symmetric", "partition one-way", "link dropped after the partition timeout",
		"gossip dropped", "gossip duplicated", "gossip reordered", "gossip cut by a partition",
		"node crashed", "node paused", "converged after heal",
	},
	Play: playGossipNet,
}

// netOpts are what a seed decides for a network run.
type netOpts struct {
	Nodes, Bumps     int
	Delay, Jitter    time.Duration
	Drop, Dup, Reord float64
	PartitionEvery   time.Duration
	CrashEvery       time.Duration
	PauseEvery       time.Duration
	MaxSkew          time.Duration
	Length           time.Duration
}

func netOptions(r *sim.Run) netOpts {
	rng := r.Stream("options")
	return netOpts{
		Nodes: 3 + rng.IntN(3), Bumps: 10 + rng.IntN(30),
		Delay: time.Duration(1+rng.IntN(50)) * time.Millisecond, Jitter: time.Duration(rng.IntN(50)) * time.Millisecond,
		Drop: []float64{0, 0.05, 0.2}[rng.IntN(3)], Dup: []float64{0, 0.05, 0.2}[rng.IntN(3)], Reord: []float64{0, 0.1, 0.3}[rng.IntN(3)],
		PartitionEvery: time.Duration(10+rng.IntN(50)) * time.Second,
		CrashEvery:     time.Duration(30+rng.IntN(120)) * time.Second,
		PauseEvery:     time.Duration(20+rng.IntN(60)) * time.Second,
		MaxSkew:        time.Duration(rng.IntN(3000)) * time.Millisecond,
		Length:         time.Duration(2+rng.IntN(4)) * time.Minute,
	}
}

func playGossipNet(r *sim.Run) error {
	o := netOptions(r)
	r.Options = o
	return inBubble(r, func() (*sim.Bubble, error) {
		s := newNetSim(r, o)
		return s.b, s.play()
	})
}
