package scenarios

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/persist"
)

// The gossip counter: each node counts its own bumps in a grow-only map node → count, merges
// (maximum per node) the maps its peers gossip, and announces its map every announceEvery.
const (
	counterKind   = "counter"
	counterEntity = counterKind + "/state"
	announceEvery = 5 * time.Second
)

type (
	bump     struct{}                          // count one more on this node; answers bumped
	bumped   struct{ N uint64 }                // this node's own count after the bump
	mergeMsg struct{ State map[string]uint64 } // a peer's map, from gossip
)

// counterCore is the gossip counter's core (test-only, so not scanned as a core; it is pure).
type counterCore struct{ self string }

func loadCounterCore(self string) host.Load {
	return func(string, persist.View) (host.Core, error) { return counterCore{self: self}, nil }
}

func (c counterCore) Step(now time.Time, msg any, v persist.View) host.Output {
	state := readCounters(v)
	switch m := msg.(type) {
	case host.Recovered:
		return host.Output{Timers: []host.Timer{{Key: "announce", At: now.Add(time.Second)}}}
	case host.Wake:
		return host.Output{Events: []host.Event{{Type: "counters_announced", Data: counterData(state)}},
			Timers: []host.Timer{{Key: "announce", At: now.Add(announceEvery)}}}
	case bump:
		state[c.self]++
		return c.changed("counter_bumped", state, bumped{N: state[c.self]})
	case mergeMsg:
		changed := false
		for _, k := range slices.Sorted(maps.Keys(m.State)) {
			if k != c.self && m.State[k] > state[k] {
				state[k], changed = m.State[k], true
			}
		}
		if changed {
			return c.changed("counters_merged", state, nil)
		}
	}
	return host.Output{}
}

func (c counterCore) changed(typ string, state map[string]uint64, reply any) host.Output {
	raw, _ := json.Marshal(state) // map keys sorted: deterministic
	return host.Output{Writes: []persist.Write{{Bucket: persist.Meta, Key: counterEntity, Value: raw}},
		Events: []host.Event{{Type: typ, Data: counterData(state)}}, Reply: reply}
}

func counterData(state map[string]uint64) map[string]any { return map[string]any{"state": state} }

// readCounters reads the node's counter map (empty when there is none).
func readCounters(v persist.View) map[string]uint64 {
	state := map[string]uint64{}
	if raw, ok := v.Get(persist.Meta, counterEntity); ok {
		_ = json.Unmarshal(raw, &state)
	}
	return state
}
