package scenarios

import (
	"time"

	"github.com/meshhold/meshhold/simulations/sim"
)

// VaultCore is the tier-1 vault simulation: clients upload, overwrite, edit stale bases into
// conflicts, delete, restore, resolve and change the retention policy against the registry and
// vault cores, driven directly (snapshot → Step → sync blocks → commit) from an event queue in
// virtual time, while the node crashes at random points (losing unsynced blocks and, at a torn
// crash, the last commit), the stores inject faults and the block collector runs.
var VaultCore = sim.Scenario{
	Name: "vault-core",
	Test: "TestVaultCore",
	Sometimes: []string{
		"crash between steps", "crash before the block sync", "crash after the block sync, before the commit",
		"crash after the commit, before the reply", "torn last commit at a crash", "unsynced blocks lost at a crash",
		"store commit failed", "store out of space", "block sync failed", "block put out of space",
		"read fault reported", "conflict created", "conflict resolved", "file restored", "file deleted",
		"versions pruned", "quota refused", "precondition failed",
		"gc deleted an orphan", "gc swept an unreferenced block", "gc kept a pinned block", "upload reclaimed",
		"core reloaded after a failed commit", "acknowledged versions read back after a restart",
		"retried upload found its commit durable", "clock stepped back at a restart", "vault renamed",
		"damaged dedup match rewritten",
	},
	Play: playVaultCore,
}

// vaultOpts are what a seed decides; a failure prints them.
type vaultOpts struct {
	Clients, Ops, BlockSize int
	Paths                   int
	CrashEvery              time.Duration // mean time between crashes at random points
	CrashInStep             float64       // chance that a committing step crashes at one of its points
	TornCrash               float64       // chance that a crash after a commit also tears it
	CommitFail              float64       // chance that a commit fails
	SyncFailEvery           int           // mean number of syncs between failed ones (0: none)
	DiskFullEvery           time.Duration // mean time between disk-full spells (0: none)
	ReadFault               float64       // chance that a client read sees a damaged block
	Survival                float64       // chance that an unsynced block file survives a crash (whole, empty or torn)
	MaxSkew                 time.Duration
	GCEvery                 time.Duration
}

func vaultOptions(r *sim.Run) vaultOpts {
	rng := r.Stream("options")
	o := vaultOpts{
		Clients: 1 + rng.IntN(4), Ops: 40 + rng.IntN(80), BlockSize: 8 << rng.IntN(3), Paths: 2 + rng.IntN(6),
		CrashEvery:  time.Duration(20+rng.IntN(100)) * time.Minute,
		CrashInStep: []float64{0, 0.01, 0.03, 0.06}[rng.IntN(4)],
		TornCrash:   []float64{0, 0.3, 0.7}[rng.IntN(3)],
		CommitFail:  []float64{0, 0.01, 0.04}[rng.IntN(3)],
		ReadFault:   []float64{0, 0.05, 0.2}[rng.IntN(3)],
		Survival:    []float64{0, 0.3, 0.8}[rng.IntN(3)],
		MaxSkew:     time.Duration(rng.IntN(10)) * time.Minute,
		GCEvery:     time.Duration(5+rng.IntN(30)) * time.Minute,
	}
	if rng.IntN(2) == 0 {
		o.SyncFailEvery = 5 + rng.IntN(40)
	}
	if rng.IntN(2) == 0 {
		o.DiskFullEvery = time.Duration(1+rng.IntN(4)) * time.Hour
	}
	return o
}

func playVaultCore(r *sim.Run) error {
	w := newWorld(r, vaultOptions(r))
	r.Options = w.opts
	return w.play()
}
