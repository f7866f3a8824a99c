package scenarios

import (
	"errors"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/simulations/sim"
)

// WholeNode is the tier-2 simulation: a complete node (actors/node with the committer, the
// vault registry and vault actors, memstore, memblocks, membus) inside testing/synctest with
// every actor on a seeded lane; clients ask through host.AskChild while the node crashes
// (whole: a new node starts on the crash copies of its stores), pauses, steps its clock and
// its stores inject faults. After every commit the catalog invariants hold, and every
// acknowledged write reads back after every restart.
var WholeNode = sim.Scenario{
	Name: "whole-node",
	Test: "TestWholeNode",
	Sometimes: []string{
		"node crashed", "torn last commit at a crash", "unsynced blocks lost at a crash", "node paused",
		"store commit failed", "a failed commit answered ErrStorage", "block sync failed", "store out of space",
		"ask timed out", "conflict created", "file restored", "file deleted", "versions pruned",
		"gc deleted an orphan", "gc swept an unreferenced block", "upload reclaimed",
		"acknowledged versions read back after a restart", "clock stepped back at a restart",
	},
	Play: playWholeNode,
}

// nodeOpts are what a seed decides for a whole-node run.
type nodeOpts struct {
	Clients, Ops, BlockSize, Paths int
	CrashEvery                     time.Duration
	CrashAfterCommit               float64 // chance of a crash right after a committing turn (torn or not)
	TornCrash                      float64
	CommitFail                     float64
	SyncFailEvery                  int
	PauseEvery                     time.Duration
	DiskFullEvery                  time.Duration
	Survival                       float64
	MaxSkew                        time.Duration
	GCEvery                        time.Duration
}

func nodeOptions(r *sim.Run) nodeOpts {
	rng := r.Stream("options")
	o := nodeOpts{
		Clients: 2 + rng.IntN(3), Ops: 16 + rng.IntN(24), BlockSize: 8 << rng.IntN(3), Paths: 2 + rng.IntN(4),
		CrashEvery:       time.Duration(5+rng.IntN(40)) * time.Minute,
		CrashAfterCommit: []float64{0, 0.02, 0.05}[rng.IntN(3)],
		TornCrash:        []float64{0, 0.5, 1}[rng.IntN(3)],
		CommitFail:       []float64{0, 0.02, 0.06}[rng.IntN(3)],
		PauseEvery:       time.Duration(5+rng.IntN(30)) * time.Minute,
		Survival:         []float64{0, 0.5}[rng.IntN(2)],
		MaxSkew:          time.Duration(rng.IntN(5)) * time.Minute,
		GCEvery:          time.Duration(3+rng.IntN(20)) * time.Minute,
	}
	if rng.IntN(2) == 0 {
		o.SyncFailEvery = 3 + rng.IntN(20)
	}
	if rng.IntN(3) == 0 {
		o.DiskFullEvery = time.Duration(20+rng.IntN(60)) * time.Minute
	}
	return o
}

// playWholeNode runs one seed inside its own synctest bubble.
func playWholeNode(r *sim.Run) error {
	o := nodeOptions(r)
	r.Options = o
	return inBubble(r, func() (*sim.Bubble, error) {
		s := newNodeSim(r, o)
		return s.b, s.play()
	})
}

// inBubble plays a tier-2 seed inside its own synctest bubble on one P (see oneProc), then
// lets the bubble end cleanly whether the play failed or not (Bubble.End).
func inBubble(r *sim.Run, play func() (*sim.Bubble, error)) error {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	err := errors.New("the bubble did not run")
	synctest.Test(r.T, func(*testing.T) {
		var b *sim.Bubble
		b, err = play()
		b.End()
	})
	return err
}

// oneProc: a whole-node play runs on one P. A timer armed for a time already reached (a
// retention sweep that is due) fires at once, on a goroutine started by the actor turn that
// armed it; with more Ps that goroutine could post its Wake while the turn still drains its
// mailbox, or after, and the runs would differ. On one P it runs only once the harness blocks
// in synctest.Wait, after the turn: the Wake is a turn of its own, always.
const oneProc = 1
