// Package coretest drives a pure core the way its host does, for the cores' tests: each step
// sees a snapshot of the committed records, and its writes are committed before the next.
package coretest

import (
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/persist/memstore"
)

// Driver steps one entity's core against an in-memory store and records its events.
type Driver struct {
	T      testing.TB
	Entity string
	Load   host.Load
	Store  *memstore.Store
	Core   host.Core
	// Now is the time the next step sees, after Tick is added to it.
	Now time.Time
	// Tick is added to Now before each step; 0: time stands still.
	Tick time.Duration
	// Events are every step's events, in order.
	Events []host.Event
}

// New returns a driver over an empty store, with the core loaded as by Reload.
func New(t testing.TB, entity string, load host.Load) *Driver {
	t.Helper()
	d := &Driver{T: t, Entity: entity, Load: load, Store: memstore.New(), Now: time.UnixMilli(1_700_000_000_000)}
	d.Reload()
	return d
}

// Reload loads the core from the committed records and steps host.Recovered, as after a restart.
func (d *Driver) Reload() {
	d.T.Helper()
	snap, err := d.Store.Snapshot()
	if err != nil {
		d.T.Fatal(err)
	}
	core, err := d.Load(d.Entity, snap)
	snap.Release()
	if err != nil {
		d.T.Fatal(err)
	}
	d.Core = core
	d.Step(host.Recovered{})
}

// Step advances Now by Tick, steps the core, commits its writes (failing the test if that
// fails; a step that writes nothing commits nothing), keeps its events and returns its reply.
func (d *Driver) Step(msg any) any {
	d.T.Helper()
	d.Now = d.Now.Add(d.Tick)
	snap, err := d.Store.Snapshot()
	if err != nil {
		d.T.Fatal(err)
	}
	out := d.Core.Step(d.Now, msg, snap)
	snap.Release()
	if len(out.Writes) > 0 {
		if err := d.Store.Commit(out.Writes); err != nil {
			d.T.Fatal(err)
		}
	}
	d.Events = append(d.Events, out.Events...)
	return out.Reply
}
