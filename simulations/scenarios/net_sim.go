package scenarios

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
	"github.com/meshhold/meshhold/persist/memstore"
	"github.com/meshhold/meshhold/simulations/sim"
)

// netSim is the network of nodes in one bubble, and what the checks know.
type netSim struct {
	r     *sim.Run
	opts  netOpts
	rng   *rand.Rand
	b     *sim.Bubble
	net   *memnet.Network
	start time.Time
	err   error
	nodes []*netNode
	byID  map[string]*netNode

	own      map[string]uint64 // each node's own count, as durable
	acked    map[string]uint64 // each node's highest acknowledged bump
	frozen   map[string]uint64 // an isolated node's count when it was cut off
	isolated string            // the node cut off now ("" none)
	ending   bool
}

func newNetSim(r *sim.Run, o netOpts) *netSim {
	s := &netSim{r: r, opts: o, rng: r.Stream("world"), start: time.Now(), byID: map[string]*netNode{},
		own: map[string]uint64{}, acked: map[string]uint64{}, frozen: map[string]uint64{}}
	s.b = &sim.Bubble{Lanes: sim.NewLanes(r.Stream("lanes")), OnTurn: s.turned}
	s.net = memnet.New(r.Seed, memnet.Config{Faults: memnet.Faults{Delay: o.Delay, Jitter: o.Jitter, Drop: o.Drop,
		Duplicate: o.Dup, Reorder: o.Reord}, Trace: r.Trace})
	s.b.Net = s.net
	for i := range o.Nodes {
		id := fmt.Sprintf("n%d", i)
		nn := &netNode{s: s, id: id, store: memstore.New(), tr: s.net.Node(p2p.PeerID(id)), last: map[string]uint64{}}
		s.nodes = append(s.nodes, nn)
		s.byID[id] = nn
	}
	for i, a := range s.nodes {
		for _, b := range s.nodes[i+1:] {
			if err := s.net.Connect(p2p.PeerID(a.id), p2p.PeerID(b.id)); err != nil {
				panic(err)
			}
		}
	}
	return s
}

func (s *netSim) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("at %s: %s", time.Since(s.start), fmt.Sprintf(format, args...))
	}
}

func (s *netSim) record(entity string, seq uint64, typ, kind string, payload any) {
	s.r.Trace.Add(sim.Record{At: time.Since(s.start), Entity: entity, Seq: seq, Type: typ, Kind: kind, Digest: sim.Digest(payload)})
}

// play runs the bumps and the faults for Length, then heals everything, waits for the nodes to
// converge and stops them.
func (s *netSim) play() error {
	for _, nn := range s.nodes {
		nn.start()
	}
	s.faults()
	left := s.opts.Bumps
	var bumpNext func()
	bumpNext = func() {
		if left == 0 || s.ending {
			return
		}
		left--
		nn := sim.Pick(s.rng, s.nodes)
		s.b.After(time.Duration(s.rng.Int64N(int64(s.opts.Length)/int64(s.opts.Bumps+1))), func() { nn.bump(bumpNext) })
	}
	bumpNext()
	end := time.Now().Add(s.opts.Length)
	s.b.Run(func() bool { return s.err != nil || !time.Now().Before(end) })
	if s.err != nil {
		return s.err
	}
	s.finish()
	settle := time.Now().Add(time.Minute)
	s.b.Run(func() bool { return s.err != nil || !time.Now().Before(settle) })
	if s.err == nil {
		s.converged()
	}
	stopped := 0
	for _, nn := range s.nodes {
		nn.stop(func() { stopped++ })
	}
	s.b.Run(func() bool { return stopped == len(s.nodes) })
	s.notes()
	return s.err
}

// faults schedules partitions, crashes and pauses until the end.
func (s *netSim) faults() {
	s.every(s.opts.PartitionEvery, s.partition)
	s.every(s.opts.CrashEvery, func() { sim.Pick(s.rng, s.nodes).crash() })
	s.every(s.opts.PauseEvery, func() { sim.Pick(s.rng, s.nodes).pause() })
}

func (s *netSim) every(mean time.Duration, fn func()) {
	var next func()
	next = func() {
		if s.ending {
			return
		}
		fn()
		s.b.After(expDuration(s.rng, mean), next)
	}
	s.b.After(expDuration(s.rng, mean), next)
}

// partition cuts one node off from all the others, both ways or only its outbound frames,
// for 2 to 40 s (past memnet's 10 s timeout a symmetric cut drops the links), then heals.
func (s *netSim) partition() {
	if s.isolated != "" {
		return
	}
	a := sim.Pick(s.rng, s.nodes)
	oneWay := s.rng.IntN(2) == 0
	s.isolated = a.id
	s.frozen[a.id] = s.own[a.id]
	for _, b := range s.nodes {
		if b == a {
			continue
		}
		if oneWay {
			s.net.PartitionOneWay(p2p.PeerID(a.id), p2p.PeerID(b.id))
		} else {
			s.net.Partition(p2p.PeerID(a.id), p2p.PeerID(b.id))
		}
	}
	if oneWay {
		sim.Sometimes("partition one-way")
	} else {
		sim.Sometimes("partition symmetric")
	}
	s.b.After(time.Duration(2+s.rng.IntN(39))*time.Second, func() {
		if s.isolated == a.id {
			s.heal()
		}
	})
}

// heal ends every cut.
func (s *netSim) heal() {
	s.net.Heal()
	s.isolated = ""
}

// finish heals the network for good, stops the faults and brings every node back.
func (s *netSim) finish() {
	s.heal()
	s.ending = true
	_ = s.net.SetFaults(memnet.Faults{Delay: s.opts.Delay})
	for _, nn := range s.nodes {
		if nn.down {
			nn.restart()
		}
		if nn.paused {
			nn.paused = false
			nn.group.Pause(false)
		}
	}
	for _, nn := range s.nodes {
		s.redial(nn)
	}
}

// redial connects nn to every live node, as a daemon dials its known peers at start and now
// and then: memnet's Restart relinks only the peers that are up at that moment, so two nodes
// that were down together would otherwise never meet again. A pair cut both ways stays apart.
func (s *netSim) redial(nn *netNode) {
	for _, other := range s.nodes {
		if other != nn && !other.down && !nn.down {
			_ = s.net.Connect(p2p.PeerID(nn.id), p2p.PeerID(other.id))
		}
	}
}

// notes marks the network faults that took effect.
func (s *netSim) notes() {
	st := s.net.Stats()
	for _, f := range []struct {
		n    int
		kind string
	}{{st.Dropped, "gossip dropped"}, {st.Duplicated, "gossip duplicated"}, {st.Reordered, "gossip reordered"},
		{st.Cut, "gossip cut by a partition"}, {st.Timeouts, "link dropped after the partition timeout"}} {
		if f.n > 0 {
			sim.Sometimes(f.kind)
		}
	}
}
