package scenarios

import (
	"errors"
	"time"

	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/memblocks"
	"github.com/meshhold/meshhold/simulations/sim"
)

// faults arms the seed's store faults (they outlive crashes: crash copies share them) and
// schedules crashes, pauses, disk-full spells and the block collector.
func (s *nodeSim) faults() {
	s.armed = true
	sf, bf := s.store.Faults(), s.blocks.Faults()
	sf.SetRand(s.r.Stream("store-faults"))
	bf.SetRand(s.r.Stream("block-faults"))
	sf.FailRandomly(s.opts.CommitFail)
	bf.SurviveCrash(memblocks.Survival{Intact: s.opts.Survival / 2, Empty: s.opts.Survival / 4, Torn: s.opts.Survival / 4})
	if n := s.opts.SyncFailEvery; n > 0 {
		for at := 0; at < 400; {
			at += 1 + s.rng.IntN(2*n)
			bf.FailNthSync(at)
		}
	}
	s.every(s.opts.CrashEvery, func() { s.crash("crash at a random point") })
	s.every(s.opts.PauseEvery, s.pause)
	if s.opts.DiskFullEvery > 0 {
		s.every(s.opts.DiskFullEvery, func() {
			s.record("node", uint64(s.boot), "fault:disk-full", "", nil)
			sf.FailWithENOSPC()
			bf.NoSpaceAfter(int64(s.rng.IntN(200)))
			s.b.After(time.Duration(1+s.rng.IntN(5))*time.Minute, func() {
				s.record("node", uint64(s.boot), "fault:disk-freed", "", nil)
				sf.FreeSpace()
				bf.FreeSpace()
			})
		})
	}
	s.every(s.opts.GCEvery, s.collect)
	s.every(time.Minute, func() {
		if f := bf.Fired().FailedSyncs; f > s.syncFails {
			s.syncFails = f
			sim.Sometimes("block sync failed")
		}
	})
}

// every runs fn about every mean (exponentially spaced) while the run lasts and the node is up.
func (s *nodeSim) every(mean time.Duration, fn func()) {
	var next func()
	next = func() {
		if s.ending {
			return
		}
		if !s.down && s.err == nil {
			fn()
		}
		s.b.After(expDuration(s.rng, mean), next)
	}
	s.b.After(expDuration(s.rng, mean), next)
}

// pause freezes the node (a stop-the-world pause, a frozen VM) for up to two minutes: its
// lanes take no turns, so asks may time out while their commits are still to come.
func (s *nodeSim) pause() {
	if s.paused {
		return
	}
	d := time.Duration(1+s.rng.IntN(120)) * time.Second
	sim.Sometimes("node paused")
	s.record("node", uint64(s.boot), "pause", d.String(), nil)
	g, boot := s.group, s.boot
	s.paused = true
	g.Pause(true)
	s.b.After(d, func() {
		if s.boot == boot {
			s.paused = false
			g.Pause(false)
			s.record("node", uint64(s.boot), "resume", "", nil)
		}
	})
}

// collect runs the block collector on a goroutine of its own, as the daemon does: a sweep of
// unreferenced files, then a collection of orphans, whose last act is the Forget ask to the
// vault (so the goroutine does nothing once that reply wakes it), then checks what is left.
func (s *nodeSim) collect() {
	gc, boot := s.gc, s.boot
	s.b.Go(func() (any, error) {
		var st [2]blockgc.Stats
		var err [2]error
		st[0], err[0] = gc.Sweep(ctx())
		st[1], err[1] = gc.Collect(ctx())
		return st, errors.Join(err[0], err[1])
	}, func(res any, err error) {
		st := res.([2]blockgc.Stats)
		s.record("gc", uint64(boot), "gc", "", [2]string{st[0].String(), st[1].String()})
		if s.boot != boot || s.down {
			return
		}
		if err != nil {
			s.fail("collector: %v", err)
			return
		}
		if st[0].Deleted > 0 {
			sim.Sometimes("gc swept an unreferenced block")
		}
		if st[1].Deleted > 0 {
			sim.Sometimes("gc deleted an orphan")
		}
		s.check(false)
	})
}
