package node_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// gated holds every commit until released.
type gated struct {
	persist.Store
	release chan struct{}
}

func (g gated) Commit(ws []persist.Write) error {
	<-g.release
	return g.Store.Commit(ws)
}

// While a write is in flight, an ordinary read waits for it to be durable, but a reply the
// core marks Immediate goes out at once.
func TestImmediateRepliesDoNotWaitForTheCommit(t *testing.T) {
	db, err := boltdb.Open(filepath.Join(t.TempDir(), boltdb.FileName), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g := gated{Store: db, release: make(chan struct{})}
	n, err := node.Start(node.Deps{Store: g, NodeID: "n", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	mgr, _ := n.Register("counter", loadCounter)
	ctx := context.Background()
	ask := func(msg any, limit time.Duration) (value, error) {
		return host.AskChild[value](ctx, n.Root, mgr, "g", msg, limit)
	}
	done := make(chan error, 1)
	go func() { _, err := ask(incr{By: 5}, 10*time.Second); done <- err }()
	time.Sleep(50 * time.Millisecond) // the increment is staged and its commit waits at the gate
	if _, err := ask(get{}, 100*time.Millisecond); err == nil {
		t.Fatal("an ordinary read was answered before the write it may have seen was durable")
	}
	v, err := ask(peek{}, time.Second)
	if err != nil || v.N != 5 {
		t.Fatalf("an Immediate read: %v %v, want 5 at once", v, err)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_ = n.Stop(ctx)
}
