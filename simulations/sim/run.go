package sim

import (
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"testing"
)

// Scenario is one simulation, played once per seed.
type Scenario struct {
	// Name names its regressions file, <Dir>/<Name>.seeds.
	Name string
	// Test is the test function that plays it, for the rerun command (TestVaultCore).
	Test string
	// Sometimes lists the fault kinds and recovery paths every multi-seed run must hit.
	Sometimes []string
	// Play runs one seed; an error is a broken invariant.
	Play func(r *Run) error
}

// Run is one play of a scenario for one seed.
type Run struct {
	T     *testing.T
	Seed  uint64
	Trace *Trace
	// Options are what the scenario derived from the seed; a failure prints them.
	Options any
}

// Stream is the run's sub-stream name (see Stream).
func (r *Run) Stream(name string) *rand.Rand { return Stream(r.Seed, name) }

// Outcome is what one play left: its trace and its error.
type Outcome struct {
	Trace   *Trace
	Options any
	Err     error
}

// Play runs sc once for seed; keep holds the trace's records for Dump.
func Play(t *testing.T, sc Scenario, seed uint64, keep bool) (out Outcome) {
	r := &Run{T: t, Seed: seed, Trace: NewTrace(Epoch, keep)}
	defer func() {
		if p := recover(); p != nil {
			out = Outcome{Trace: r.Trace, Options: r.Options, Err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
		}
	}()
	err := sc.Play(r)
	return Outcome{Trace: r.Trace, Options: r.Options, Err: err}
}

// Twice plays seed two times and returns an error when a play fails or the two trace hashes
// differ: the determinism check. The error names the first record where the plays diverge.
func Twice(t *testing.T, sc Scenario, seed uint64) (Outcome, error) {
	a := Play(t, sc, seed, false)
	if a.Err != nil {
		return a, a.Err
	}
	b := Play(t, sc, seed, false)
	if b.Err != nil {
		return b, fmt.Errorf("second play: %w", b.Err)
	}
	if a.Trace.Sum() == b.Trace.Sum() {
		return a, nil
	}
	ka, kb := Play(t, sc, seed, true), Play(t, sc, seed, true)
	return a, fmt.Errorf("nondeterministic: trace hashes %.16s and %.16s differ%s", a.Trace.Sum(), b.Trace.Sum(), divergence(ka.Trace, kb.Trace))
}

// divergence describes the first record where two kept traces differ.
func divergence(a, b *Trace) string {
	la, lb := a.Lines(), b.Lines()
	for i := 0; i < min(len(la), len(lb)); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("\nfirst divergence at record %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	if len(la) != len(lb) {
		return fmt.Sprintf("\none play has %d records, the other %d", len(la), len(lb))
	}
	return "\n(the kept replays agree: the divergence is rare; rerun the seed)"
}
