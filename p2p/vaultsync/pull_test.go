package vaultsync_test

import (
	"context"
	"crypto/sha256"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
	"github.com/meshhold/meshhold/p2p/vaultsync"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memblocks"
)

// setCatalog is a catalog that is a set of records (the vault actor's sync commands in the
// daemon), enough to test the exchange: its summary follows the same tree definition.
type setCatalog struct {
	mu   sync.Mutex
	recs map[[32]byte]vaultsync.Record
}

func newSet(recs ...vaultsync.Record) *setCatalog {
	c := &setCatalog{recs: map[[32]byte]vaultsync.Record{}}
	for _, r := range recs {
		c.recs[r.Addr] = r
	}
	return c
}

func (c *setCatalog) Summary(_ context.Context, vault string) (vaultsync.Summary, error) {
	if vault != "v" {
		return vaultsync.Summary{}, vaultsync.ErrNoVault
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := vaultsync.Summary{Buckets: make([][32]byte, vaultsync.Buckets), Versions: len(c.recs)}
	for b := range vaultsync.Buckets {
		h := sha256.New()
		for _, a := range c.inBucket(byte(b)) {
			h.Write(a[:])
		}
		copy(s.Buckets[b][:], h.Sum(nil))
	}
	h := sha256.New()
	for _, b := range s.Buckets {
		h.Write(b[:])
	}
	copy(s.Root[:], h.Sum(nil))
	return s, nil
}

func (c *setCatalog) inBucket(b byte) [][32]byte {
	var out [][32]byte
	for a := range c.recs {
		if a[0] == b {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y [32]byte) int { return slices.Compare(x[:], y[:]) })
	return out
}

func (c *setCatalog) List(_ context.Context, _ string, buckets []byte) ([][32]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][32]byte
	for _, b := range buckets {
		out = append(out, c.inBucket(b)...)
	}
	return out, nil
}

func (c *setCatalog) Get(_ context.Context, _ string, addrs [][32]byte) ([]vaultsync.Record, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []vaultsync.Record
	for _, a := range addrs {
		if r, ok := c.recs[a]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func (c *setCatalog) Apply(_ context.Context, _ string, recs []vaultsync.Record) (vaultsync.Applied, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ap vaultsync.Applied
	for _, r := range recs {
		if _, ok := c.recs[r.Addr]; ok {
			ap.Skipped++
			continue
		}
		c.recs[r.Addr] = r
		ap.Added++
	}
	return ap, nil
}

// copyFetcher fetches from other nodes' block stores, the way p2p/blocks does over streams.
type copyFetcher struct {
	to    *memblocks.Store
	from  map[p2p.PeerID]*memblocks.Store
	calls int
}

func (f *copyFetcher) Fetch(_ context.Context, peers []p2p.PeerID, addrs []persist.Address) ([]persist.Address, error) {
	f.calls++
	var missing []persist.Address
	for _, a := range addrs {
		got := false
		for _, p := range peers {
			if b, err := f.from[p].Get(a); err == nil {
				got = f.to.Put(a, b) == nil
				break
			}
		}
		if !got {
			missing = append(missing, a)
		}
	}
	return missing, nil
}

// record makes a record referencing blocks stored in bs.
func record(bs *memblocks.Store, name string, blocks ...string) vaultsync.Record {
	r := vaultsync.Record{Sealed: []byte("sealed " + name)}
	r.Addr = sha256.Sum256(r.Sealed)
	for _, b := range blocks {
		body := []byte("block " + b)
		a := persist.Address(sha256.Sum256(body))
		if bs != nil {
			_ = bs.Put(a, body)
		}
		r.Blocks = append(r.Blocks, a)
	}
	return r
}

// A pull copies the records a node lacks and their blocks, blocks first; equal roots end it
// at once; a corrupt record is dropped; a record whose block no holder has waits.
func TestPullCopiesRecordsAfterTheirBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New(1, memnet.Config{Faults: memnet.Faults{Delay: 5 * time.Millisecond}})
		n.Node("a")
		n.Node("b")
		if err := n.Connect("a", "b"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()

		aBlocks, bBlocks := memblocks.New(), memblocks.New()
		shared := record(aBlocks, "shared", "x")
		_ = bBlocks.Put(shared.Blocks[0], []byte("block x"))
		lost := record(nil, "lost", "nowhere") // its block is on no node
		bad := record(aBlocks, "bad", "y")
		bad.Sealed = []byte("tampered")
		recs := []vaultsync.Record{shared, record(aBlocks, "one", "p", "q"), record(aBlocks, "two", "q", "r"), lost, bad}
		a := newSet(recs...)
		b := newSet(shared)
		stop := vaultsync.Serve(n.Node("a"), a, nil)
		defer stop()

		f := &copyFetcher{to: bBlocks, from: map[p2p.PeerID]*memblocks.Store{"a": aBlocks}}
		p := &vaultsync.Puller{T: n.Node("b"), Cat: b, Fetch: f, Blocks: bBlocks}
		st, err := p.Pull(context.Background(), "v", "a", []p2p.PeerID{"a"})
		if err != nil {
			t.Fatal(err)
		}
		if st.Records != 2 || st.Blocks != 3 || st.Waiting != 1 || st.Corrupt != 1 || st.InSync {
			t.Fatalf("stats %+v", st)
		}
		for _, r := range b.recs {
			for _, blk := range r.Blocks {
				if ok, _ := bBlocks.Has(blk); !ok {
					t.Fatalf("record %x applied without its block %x", r.Addr[:4], blk[:4])
				}
			}
		}
		if _, ok := b.recs[lost.Addr]; ok {
			t.Fatal("a record whose block is nowhere was applied")
		}
		// b has everything a has but the two it cannot take: another pull changes nothing new.
		st, _ = p.Pull(context.Background(), "v", "a", []p2p.PeerID{"a"})
		if st.Records != 0 || st.Waiting != 1 {
			t.Fatalf("second pull %+v", st)
		}
		// Equal sets: the roots say so and nothing else is asked.
		c := newSet(b.sorted()...)
		stopB := vaultsync.Serve(n.Node("b"), b, nil)
		defer stopB()
		calls := f.calls
		pc := &vaultsync.Puller{T: n.Node("a"), Cat: c, Fetch: f, Blocks: aBlocks}
		if st, err := pc.Pull(context.Background(), "v", "b", nil); err != nil || !st.InSync || f.calls != calls {
			t.Fatalf("equal sets: %+v %v", st, err)
		}
		if _, err := p.Pull(context.Background(), "other", "a", nil); err == nil {
			t.Fatal("a vault the peer does not hold")
		}
		cancel()
		<-done
	})
}

func (c *setCatalog) sorted() []vaultsync.Record {
	var out []vaultsync.Record
	for _, r := range c.recs {
		out = append(out, r)
	}
	slices.SortFunc(out, func(x, y vaultsync.Record) int { return slices.Compare(x.Addr[:], y.Addr[:]) })
	return out
}

