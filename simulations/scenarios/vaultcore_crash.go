package scenarios

import (
	"time"

	"github.com/meshhold/meshhold/persist/memblocks"
	"github.com/meshhold/meshhold/simulations/sim"
)

// crash kills the node: what was not durable is gone (unsynced block changes as the block
// store's Survival draws, the last commit too when torn), in-flight uploads and timers with
// it. The node boots again after a short downtime, with a new clock skew.
func (w *world) crash(why string) {
	sim.Sometimes(why)
	if w.blocks.Unsynced() > 0 {
		sim.Sometimes("unsynced blocks lost at a crash")
	}
	w.record("node", uint64(w.boot), "crash", why, nil)
	w.store = w.store.Crash()
	w.blocks = w.blocks.Crash()
	w.boot++
	w.down = true
	w.cores = map[string]*slot{}
	w.m.crashed()
	downtime := time.Duration(w.rng.IntN(120)) * time.Second
	w.q.Push(w.now.Add(downtime), w.reboot)
}

// reboot starts the node again and reads back every acknowledged version.
func (w *world) reboot() {
	old := w.skew
	if w.opts.MaxSkew > 0 {
		w.skew = time.Duration(w.rng.Int64N(int64(2*w.opts.MaxSkew))) - w.opts.MaxSkew
	}
	if w.skew < old {
		sim.Sometimes("clock stepped back at a restart")
	}
	w.start()
	w.record("node", uint64(w.boot), "boot", "", w.skew.String())
	w.load(vaultEntity) // the daemon loads its vaults at start
	if w.down {
		return
	}
	w.checkState(true)
	if w.readBackAll() {
		sim.Sometimes("acknowledged versions read back after a restart")
	}
}

// randomCrashes schedules crashes between steps, about every CrashEvery.
func (w *world) randomCrashes() {
	var next func()
	next = func() {
		if !w.down {
			w.crash("crash between steps")
		}
		w.q.Push(w.now.Add(expDuration(w.rng, w.opts.CrashEvery)), next)
	}
	w.q.Push(w.now.Add(expDuration(w.rng, w.opts.CrashEvery)), next)
}

// storeFaults arms the faults the seed chose on both stores; they share their Faults with
// every crash copy, so they outlive crashes.
func (w *world) storeFaults() {
	sf, bf := w.store.Faults(), w.blocks.Faults()
	sf.SetRand(w.run.Stream("store-faults"))
	bf.SetRand(w.run.Stream("block-faults"))
	sf.FailRandomly(w.opts.CommitFail)
	s := w.opts.Survival
	bf.SurviveCrash(memblocks.Survival{Intact: s / 2, Empty: s / 4, Torn: s / 4})
	if n := w.opts.SyncFailEvery; n > 0 {
		for at := 0; at < 400; {
			at += 1 + w.rng.IntN(2*n)
			bf.FailNthSync(at)
		}
	}
	if w.opts.DiskFullEvery > 0 {
		var full func()
		full = func() {
			w.record("node", uint64(w.boot), "fault:disk-full", "", nil)
			sf.FailWithENOSPC()
			bf.NoSpaceAfter(int64(w.rng.IntN(200)))
			w.q.Push(w.now.Add(time.Duration(1+w.rng.IntN(10))*time.Minute), func() {
				w.record("node", uint64(w.boot), "fault:disk-freed", "", nil)
				sf.FreeSpace()
				bf.FreeSpace()
			})
			w.q.Push(w.now.Add(expDuration(w.rng, w.opts.DiskFullEvery)), full)
		}
		w.q.Push(w.now.Add(expDuration(w.rng, w.opts.DiskFullEvery)), full)
	}
}

// expDuration draws an exponential duration with the given mean (at least a second).
func expDuration(r interface{ ExpFloat64() float64 }, mean time.Duration) time.Duration {
	return max(time.Duration(r.ExpFloat64()*float64(mean)), time.Second)
}
