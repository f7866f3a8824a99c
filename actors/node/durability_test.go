package node_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockstore"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// calls records the order of the file-system steps a commit takes.
type calls struct {
	mu  sync.Mutex
	seq []string
}

func (c *calls) add(s string) {
	c.mu.Lock()
	c.seq = append(c.seq, s)
	c.mu.Unlock()
}

// syncSpy is the real block store with its Put and Sync calls recorded.
type syncSpy struct {
	*blockstore.Store
	log *calls
}

func (s syncSpy) Put(a persist.Address, data []byte) error {
	s.log.add("put")
	return s.Store.Put(a, data)
}

func (s syncSpy) Sync() error {
	s.log.add("syncfs")
	return s.Store.Sync()
}

// commitSpy is the real bbolt store with its transactions recorded.
type commitSpy struct {
	*boltdb.Store
	log *calls
}

func (s commitSpy) Commit(ws []persist.Write) error {
	s.log.add("commit")
	return s.Store.Commit(ws)
}

// A block written before a write is asked for is made durable (syncfs) before the transaction
// of that write commits: the durability order an upload relies on.
func TestBlocksAreSyncedBeforeTheTransaction(t *testing.T) {
	dir := t.TempDir()
	bs, err := blockstore.Open(filepath.Join(dir, "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := &calls{}
	n, err := node.Start(node.Deps{Store: commitSpy{db, log}, Blocks: syncSpy{bs, log}, NodeID: "n", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop(context.Background())
	mgr, err := n.Register("counter", loadCounter)
	if err != nil {
		t.Fatal(err)
	}
	block := []byte("a block an upload wrote")
	if err := (syncSpy{bs, log}).Put(persist.AddressOf(block), block); err != nil {
		t.Fatal(err)
	}
	if _, err := host.AskChild[value](context.Background(), n.Root, mgr, "c", incr{By: 1}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	want := []string{"put", "syncfs", "commit"}
	if len(log.seq) < 3 || log.seq[0] != want[0] || log.seq[1] != want[1] || log.seq[2] != want[2] {
		t.Fatalf("file-system steps %v, want %v: the block must be durable before the transaction", log.seq, want)
	}
}
