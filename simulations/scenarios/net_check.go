package scenarios

import (
	"maps"
	"slices"

	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/simulations/sim"
)

// turned checks a node's counter map after each of its committer's turns: it only grows, its
// own count is the node's durable count, it never holds more for a node than that node made
// durable, and nobody learns an isolated node's counts past the moment it was cut off.
func (s *netSim) turned(group, name string) {
	s.record(group+"/"+name, 0, "turn", "", nil)
	nn := s.byID[group]
	if name != "committer" || nn == nil || nn.down {
		return
	}
	state := s.counters(nn)
	for _, k := range slices.Sorted(maps.Keys(nn.last)) {
		if state[k] < nn.last[k] {
			s.fail("%s: its count of %s went back from %d to %d", nn.id, k, nn.last[k], state[k])
		}
	}
	nn.last = state
	s.own[nn.id] = max(s.own[nn.id], state[nn.id])
	for _, k := range slices.Sorted(maps.Keys(state)) {
		if k != nn.id && state[k] > s.own[k] {
			s.fail("%s holds %d for %s, which only made %d durable", nn.id, state[k], k, s.own[k])
		}
		if k == s.isolated && k != nn.id && state[k] > s.frozen[k] {
			s.fail("%s learned %s's count %d while %s was cut off at %d", nn.id, k, state[k], k, s.frozen[k])
		}
	}
}

// counters reads a node's committed counter map.
func (s *netSim) counters(nn *netNode) map[string]uint64 {
	var state map[string]uint64
	_ = persist.ReadWith(nn.store, func(v persist.View) error {
		state = readCounters(v)
		return nil
	})
	return state
}

// converged checks the end: every node holds every node's own count, and no acknowledged
// bump is missing.
func (s *netSim) converged() {
	for _, nn := range s.nodes {
		state := s.counters(nn)
		for _, k := range slices.Sorted(maps.Keys(s.byID)) {
			if state[k] != s.own[k] {
				s.fail("after healing, %s holds %d for %s, which counts %d", nn.id, state[k], k, s.own[k])
				return
			}
			if state[k] < s.acked[k] {
				s.fail("after healing, %s holds %d for %s, which acknowledged %d", nn.id, state[k], k, s.acked[k])
				return
			}
		}
	}
	sim.Sometimes("converged after heal")
}
