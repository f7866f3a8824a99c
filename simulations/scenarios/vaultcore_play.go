package scenarios

import (
	"fmt"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/simulations/sim"
)

// play creates the vault, then runs clients, crashes, faults and the collector until the
// clients are done and the queue is empty, checking invariants after every committed step.
func (w *world) play() error {
	w.calm = true
	reply, _ := w.deliver(registryEntity, createVault(messages.VaultPolicy{KeepVersions: 3 + w.rng.IntN(4)}))
	if _, ok := reply.(messages.VaultMeta); !ok {
		return fmt.Errorf("create the vault: %v", reply)
	}
	w.load(vaultEntity)
	w.calm = false
	w.storeFaults()
	w.randomCrashes()
	w.collector()
	clients := make([]*client, w.opts.Clients)
	for i := range clients {
		clients[i] = &client{w: w, id: i, rng: w.run.Stream(fmt.Sprintf("client-%d", i)), left: w.opts.Ops / w.opts.Clients}
		clients[i].next()
	}
	for steps := 0; w.err == nil; steps++ {
		if w.clientsDone(clients) && !w.down {
			break
		}
		if steps > 1_000_000 {
			return fmt.Errorf("runaway: a million events at %s", w.now.Sub(sim.Epoch))
		}
		at, fn, ok := w.q.Pop()
		if !ok {
			break
		}
		w.advance(at)
		fn()
	}
	if w.err != nil {
		return w.err
	}
	// The end: a last restart must find every acknowledged version.
	w.crash("crash between steps")
	for w.down && w.err == nil {
		at, fn, ok := w.q.Pop()
		if !ok {
			break
		}
		w.advance(at)
		fn()
	}
	w.record("end", 0, "end", "", w.m.summary())
	return w.err
}

func (w *world) clientsDone(cs []*client) bool {
	for _, c := range cs {
		if c.left > 0 || c.busy {
			return false
		}
	}
	return true
}

// collector runs the block collector every GCEvery: collect orphans, and every third time
// sweep unreferenced files.
func (w *world) collector() {
	n := 0
	var next func()
	next = func() {
		w.q.Push(w.now.Add(w.opts.GCEvery), next)
		if w.down {
			return
		}
		n++
		boot := w.boot
		st, err := w.gc.Collect(ctx())
		w.record("gc", uint64(n), "gc:collect", "", st.String())
		if err != nil && boot == w.boot {
			w.fail("collect: %v", err)
		}
		if st.Deleted > 0 {
			sim.Sometimes("gc deleted an orphan")
		}
		pinned := st.Pinned
		if n%3 == 0 && boot == w.boot {
			st, err := w.gc.Sweep(ctx())
			w.record("gc", uint64(n), "gc:sweep", "", st.String())
			if err != nil {
				w.fail("sweep: %v", err)
			}
			if st.Deleted > 0 {
				sim.Sometimes("gc swept an unreferenced block")
			}
			pinned += st.Pinned
		}
		if pinned > 0 {
			sim.Sometimes("gc kept a pinned block")
		}
		if boot == w.boot && !w.down {
			w.checkState(false) // uploads in flight may have touched blocks since the last sync
		}
	}
	w.q.Push(w.now.Add(w.opts.GCEvery), next)
}

// quiet is how long a client waits between two operations: seconds to minutes, and now and
// then a night, so that the daily retention sweep runs.
func quiet(c *client) time.Duration {
	if c.rng.IntN(40) == 0 {
		return time.Duration(6+c.rng.IntN(24)) * time.Hour
	}
	return time.Duration(5+c.rng.IntN(300)) * time.Second
}

// advance moves virtual time to at (never backwards).
func (w *world) advance(at time.Time) {
	if at.After(w.now) {
		w.now = at
	}
}
