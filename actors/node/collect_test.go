package node_test

import (
	"context"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/persist/memstore"
)

// A stopped node leaves nothing behind: its actor system (16 MB of process registry) is
// collected, also when it ran inside a synctest bubble, as every simulated node does. A
// global reply-box pool once kept every system, and the simulations ran out of memory.
func TestStoppedNodeIsCollected(t *testing.T) {
	run := func(t *testing.T) weak.Pointer[actor.ActorSystem] {
		n, err := node.Start(node.Deps{Store: memstore.New(), NodeID: "n", Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		m, err := n.Register("counter", loadCounter)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := host.AskChild[any](context.Background(), n.Root, m, "c1", incr{By: 1}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := n.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		return weak.Make(n.System)
	}
	collected := func(t *testing.T, w weak.Pointer[actor.ActorSystem]) {
		for range 3 {
			runtime.GC()
		}
		if w.Value() != nil {
			t.Fatal("the stopped node's actor system is still reachable")
		}
	}
	t.Run("plain", func(t *testing.T) { collected(t, run(t)) })
	t.Run("bubble", func(t *testing.T) {
		var w weak.Pointer[actor.ActorSystem]
		synctest.Test(t, func(t *testing.T) {
			w = run(t)
			time.Sleep(time.Minute) // protoactor's dead-letter throttle ends after its period
		})
		collected(t, w)
	})
}
