package scenarios_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memstore"
	"github.com/meshhold/meshhold/simulations/sim"
)

// tally is a test-only core that counts words and answers the counts. The leaky one ranges
// over its map (more than 8 keys) straight into its reply, so the reply's order is Go's
// randomized map order; the fixed one sorts first.
type tally struct {
	sorted bool
	counts map[string]int
}

func (c *tally) Step(_ time.Time, msg any, _ persist.View) host.Output {
	word, ok := msg.(string)
	if !ok {
		return host.Output{}
	}
	c.counts[word]++
	var out []string
	for w, n := range c.counts {
		out = append(out, fmt.Sprintf("%s=%d", w, n))
	}
	if c.sorted {
		slices.Sort(out)
	}
	return host.Output{Reply: out}
}

// tallyScenario drives a tally core with seeded words from 12 keys, tracing every reply.
func tallyScenario(sorted bool) sim.Scenario {
	return sim.Scenario{Name: "tally", Test: "TestMapOrderLeakIsCaught", Play: func(r *sim.Run) error {
		rng := r.Stream("words")
		c := &tally{sorted: sorted, counts: map[string]int{}}
		store := memstore.New()
		var q sim.Queue[string]
		for i := 0; i < 60; i++ {
			q.Push(sim.Epoch.Add(time.Duration(rng.IntN(3600))*time.Second), fmt.Sprintf("w%02d", rng.IntN(12)))
		}
		for at, word, ok := q.Pop(); ok; at, word, ok = q.Pop() {
			snap, _ := store.Snapshot()
			out := c.Step(at, word, snap)
			snap.Release()
			r.Trace.At(at, "tally/1", 0, "msg:word", sim.Kind(out.Reply), out.Reply)
		}
		return nil
	}}
}

// A map order that leaks into a core's output is caught by the double run: the two plays of
// one seed hash differently. The fixed core passes the same check.
func TestMapOrderLeakIsCaught(t *testing.T) {
	_, err := sim.Twice(t, tallyScenario(false), 1)
	if err == nil || !strings.Contains(err.Error(), "nondeterministic") {
		t.Fatalf("the double run missed a map order ranged into the output: %v", err)
	}
	t.Logf("caught, as it should be: %v", err)
	if _, err := sim.Twice(t, tallyScenario(true), 1); err != nil {
		t.Fatalf("the sorted core must replay exactly: %v", err)
	}
}
