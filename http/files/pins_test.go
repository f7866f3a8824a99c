package files

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/blockstore"
	"github.com/meshhold/meshhold/persist/chunk"
)

// pausingStore stops every upload right after it verified its block present — the moment the
// upload believes the block is there — until the test lets it go.
type pausingStore struct {
	*blockstore.Store
	paused  chan struct{}
	release chan struct{}
}

func (p *pausingStore) ReadBlock(a persist.Address, dst []byte) ([]byte, error) {
	b, err := p.Store.ReadBlock(a, dst)
	if err == nil {
		p.paused <- struct{}{}
		<-p.release
	}
	return b, err
}

// An upload that matched an old orphan (or an old unreferenced block) keeps it through a
// collection; without pins the same schedule loses it, and CheckBlocks catches that.
func TestPinsKeepMatchedBlocksFromCollector(t *testing.T) {
	data := bytesOf(21, chunk.Small)
	for _, c := range []struct {
		name     string
		pin      bool
		orphaned bool // recorded orphan (Collect) or never referenced (Sweep)
	}{{"collect, pinned", true, true}, {"sweep, pinned", true, false}, {"collect, no pins", false, true}, {"sweep, no pins", false, false}} {
		root := t.TempDir()
		disk, _ := blockstore.Open(root)
		m := ingest(t, disk, bytes.NewReader(data))
		addr := m.Blocks[0].Addr
		cat := blockgc.NewMemCatalog()
		if c.orphaned {
			cat.AddRef("v", addr)
			cat.DropRef("v", addr, time.Now().Add(-2*time.Hour).UnixMilli())
		}
		h := addr.String()
		old := time.Now().Add(-2 * time.Hour)
		os.Chtimes(filepath.Join(root, h[:2], h[2:4], h), old, old)

		var pins *blockgc.Pins
		if c.pin {
			pins = blockgc.NewPins()
		}
		gc, _ := blockgc.New(disk, pins, cat, blockgc.Config{})
		store := &pausingStore{Store: disk, paused: make(chan struct{}), release: make(chan struct{})}
		done := make(chan *Upload)
		go func() {
			up, err := Ingest(context.Background(), bytes.NewReader(data), IngestConfig{Key: testKey, Store: store, Pins: pins, Limit: 1 << 20})
			if err != nil {
				t.Error(err)
			}
			done <- up
		}()
		<-store.paused
		var st blockgc.Stats
		if c.orphaned {
			st, _ = gc.Collect(context.Background())
		} else {
			st, _ = gc.Sweep(context.Background())
		}
		close(store.release)
		up := <-done
		err := CheckBlocks(disk, up.Manifest)
		if c.pin && (err != nil || st.Pinned != 1) {
			t.Fatalf("%s: %v (%s)", c.name, err, st)
		}
		if !c.pin && err == nil {
			t.Fatalf("%s: the block survived without a pin: the test does not exercise the race (%s)", c.name, st)
		}
		up.Done()
	}
}

// Many uploads of overlapping content, a pruner dropping committed versions and a collector
// that treats everything as past its grace period, all at once: no upload's CheckBlocks ever
// fails, and every version still live at the end reads back.
func TestPinsStress(t *testing.T) {
	disk, _ := blockstore.Open(t.TempDir())
	pins, cat := blockgc.NewPins(), blockgc.NewMemCatalog()
	future := func() time.Time { return time.Now().Add(3 * time.Hour) }
	gc, _ := blockgc.New(disk, pins, cat, blockgc.Config{Now: future})
	pool := make([][]byte, 6)
	for i := range pool {
		pool[i] = bytesOf(uint64(100+i), 64<<10) // small blocks: one per file part
	}
	var mu sync.Mutex
	var live []messages.Manifest
	ctx, cancel := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	bg.Go(func() {
		for ctx.Err() == nil {
			gc.Collect(ctx)
			gc.Sweep(ctx)
		}
	})
	bg.Go(func() { // the pruner: retention dropping versions
		rng := rand.New(rand.NewPCG(1, 2))
		for ctx.Err() == nil {
			mu.Lock()
			if len(live) > 3 {
				i := rng.IntN(len(live))
				for _, b := range live[i].Blocks {
					cat.DropRef("v", b.Addr, time.Now().UnixMilli())
				}
				live = append(live[:i], live[i+1:]...)
			}
			mu.Unlock()
			time.Sleep(100 * time.Microsecond)
		}
	})
	var up sync.WaitGroup
	for w := range 4 {
		up.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for range 60 {
				// a file of one Small-sized block made of pool pieces: few distinct blocks
				var body []byte
				for len(body) < chunk.Small {
					body = append(body, pool[rng.IntN(2)]...)
				}
				u, err := Ingest(ctx, bytes.NewReader(body[:chunk.Small]), IngestConfig{Key: testKey, Store: disk, Pins: pins, Limit: 1 << 30})
				if err != nil {
					t.Error(err)
					return
				}
				if err := CheckBlocks(disk, u.Manifest); err != nil {
					t.Errorf("a pinned block vanished before the commit: %v", err)
				}
				mu.Lock() // the commit: references recorded, then the pins released
				for _, b := range u.Manifest.Blocks {
					cat.AddRef("v", b.Addr)
				}
				live = append(live, u.Manifest)
				mu.Unlock()
				u.Done()
			}
		})
	}
	up.Wait()
	cancel()
	bg.Wait()
	for _, m := range live {
		if err := CheckBlocks(disk, m); err != nil {
			t.Fatalf("a live version lost a block: %v", err)
		}
	}
}
