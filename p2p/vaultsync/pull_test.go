package vaultsync_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
	"github.com/meshhold/meshhold/p2p/vaultsync"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memblocks"
)

// setCatalog is a catalog that is a set of records plus a pruned set (the vault actor's sync
// commands in the daemon), enough to test the exchange: its summary follows the same tree.
type setCatalog struct {
	mu     sync.Mutex
	recs   map[messages.VersionAddr]messages.SyncRecord
	pruned map[messages.VersionAddr]bool
}

func newSet(recs ...messages.SyncRecord) *setCatalog {
	c := &setCatalog{recs: map[messages.VersionAddr]messages.SyncRecord{}, pruned: map[messages.VersionAddr]bool{}}
	for _, r := range recs {
		c.recs[r.Addr] = r
	}
	return c
}

func (c *setCatalog) Summary(_ context.Context, vault string) (messages.VaultSummary, error) {
	if vault != "v" {
		return messages.VaultSummary{}, vaultsync.ErrNoVault
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var buckets [messages.SyncBuckets][32]byte
	s := messages.VaultSummary{VaultID: vault, Versions: int64(len(c.recs))}
	for b := range messages.SyncBuckets {
		buckets[b] = messages.BucketHash(c.inBucket(byte(b)))
		s.Buckets = append(s.Buckets, buckets[b])
	}
	s.Root = messages.MerkleRoot(&buckets)
	return s, nil
}

func (c *setCatalog) inBucket(b byte) []messages.VersionAddr {
	var out []messages.VersionAddr
	for a := range c.recs {
		if a[0] == b {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y messages.VersionAddr) int { return slices.Compare(x[:], y[:]) })
	return out
}

func (c *setCatalog) List(_ context.Context, _ string, buckets []byte) (addrs, pruned []messages.VersionAddr, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range buckets {
		addrs = append(addrs, c.inBucket(b)...)
	}
	for a := range c.pruned {
		if slices.Contains(buckets, a[0]) {
			pruned = append(pruned, a)
		}
	}
	return addrs, pruned, nil
}

func (c *setCatalog) Get(_ context.Context, _ string, addrs []messages.VersionAddr) (messages.SyncRecords, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out messages.SyncRecords
	for _, a := range addrs {
		if r, ok := c.recs[a]; ok {
			out.Records = append(out.Records, r)
		} else {
			out.Missing = append(out.Missing, a)
		}
	}
	return out, nil
}

func (c *setCatalog) Apply(_ context.Context, _ string, ap messages.SyncApply) (messages.SyncApplied, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var res messages.SyncApplied
	for _, a := range ap.Pruned {
		if _, ok := c.recs[a]; ok {
			delete(c.recs, a)
			res.Dropped++
		}
		if !c.pruned[a] {
			c.pruned[a] = true
			res.Learned++
		}
	}
	for _, r := range ap.Records {
		if _, ok := c.recs[r.Addr]; ok || c.pruned[r.Addr] {
			res.Present++
			continue
		}
		c.recs[r.Addr] = r
		res.Added++
	}
	return res, nil
}

// copyFetcher fetches from other nodes' block stores, the way p2p/blocks does over streams.
type copyFetcher struct {
	to    *memblocks.Store
	from  map[p2p.PeerID]*memblocks.Store
	calls int
}

func (f *copyFetcher) Fetch(_ context.Context, peers []p2p.PeerID, addrs []persist.Address) ([]persist.Address, int64, error) {
	f.calls++
	var missing []persist.Address
	var n int64
	for _, a := range addrs {
		got := false
		for _, p := range peers {
			if b, err := f.from[p].Get(a); err == nil {
				got = f.to.Put(a, b) == nil
				n += int64(len(b))
				break
			}
		}
		if !got {
			missing = append(missing, a)
		}
	}
	return missing, n, nil
}

// linkedPair runs a memnet of nodes "a" and "b", linked; stop ends it (call it before the
// synctest bubble ends).
func linkedPair(t *testing.T, cfg memnet.Config) (*memnet.Network, func()) {
	t.Helper()
	n := memnet.New(1, cfg)
	n.Node("a")
	n.Node("b")
	if err := n.Connect("a", "b"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	return n, func() { cancel(); <-done }
}

// record makes a record referencing blocks stored in bs.
func record(bs *memblocks.Store, name string, blocks ...string) messages.SyncRecord {
	r := messages.SyncRecord{Sealed: []byte("sealed " + name)}
	r.Addr = sha256.Sum256(r.Sealed)
	for _, b := range blocks {
		body := []byte("block " + b)
		a := sha256.Sum256(body)
		if bs != nil {
			_ = bs.Put(persist.Address(a), body)
		}
		r.Blocks = append(r.Blocks, messages.BlockAddr(a))
	}
	return r
}

// A pull copies the records a node lacks and their blocks, blocks first; equal roots end it
// at once; a corrupt record is dropped; a record whose block no holder has waits.
func TestPullCopiesRecordsAfterTheirBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, stopNet := linkedPair(t, memnet.Config{Faults: memnet.Faults{Delay: 5 * time.Millisecond}})
		defer stopNet()

		aBlocks, bBlocks := memblocks.New(), memblocks.New()
		shared := record(aBlocks, "shared", "x")
		_ = bBlocks.Put(persist.Address(shared.Blocks[0]), []byte("block x"))
		lost := record(nil, "lost", "nowhere") // its block is on no node
		bad := record(aBlocks, "bad", "y")
		bad.Sealed = []byte("tampered")
		recs := []messages.SyncRecord{shared, record(aBlocks, "one", "p", "q"), record(aBlocks, "two", "q", "r"), lost, bad}
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
				if ok, _ := bBlocks.Has(persist.Address(blk)); !ok {
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
		// a prunes a version: b learns it and drops its copy; a pull from c, which still has
		// it, does not bring it back.
		one := recs[1].Addr
		a.mu.Lock()
		delete(a.recs, one)
		a.pruned[one] = true
		a.mu.Unlock()
		if st, err := p.Pull(context.Background(), "v", "a", nil); err != nil || st.Pruned != 1 {
			t.Fatalf("pull of a pruned set: %+v %v", st, err)
		}
		if _, ok := b.recs[one]; ok {
			t.Fatal("b kept a version a pruned")
		}
		stale := newSet(c.sorted()...) // c: the records b had before, the pruned one included
		stopA := vaultsync.Serve(n.Node("a"), stale, nil)
		defer stopA()
		if st, err := p.Pull(context.Background(), "v", "a", nil); err != nil || st.Records != 0 {
			t.Fatalf("a pull from a node that still has the pruned version: %+v %v", st, err)
		}
		if _, ok := b.recs[one]; ok {
			t.Fatal("a pruned version came back through sync")
		}
	})
}

func (c *setCatalog) sorted() []messages.SyncRecord {
	var out []messages.SyncRecord
	for _, r := range c.recs {
		out = append(out, r)
	}
	slices.SortFunc(out, func(x, y messages.SyncRecord) int { return slices.Compare(x.Addr[:], y.Addr[:]) })
	return out
}

// A get of the most addresses a pull asks for at once fits the server's request limit (it once
// did not: pulls wanting more than ~560 records stalled forever).
func TestTheLargestGetFitsTheRequestLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, stopNet := linkedPair(t, memnet.Config{})
		defer stopNet()
		var recs []messages.SyncRecord
		var addrs []messages.VersionAddr
		for i := range messages.MaxSyncGet {
			r := record(nil, fmt.Sprint("r", i))
			recs = append(recs, r)
			addrs = append(addrs, messages.VersionAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, byte(i)})
		}
		stop := vaultsync.Serve(n.Node("a"), newSet(recs...), nil)
		defer stop()
		got, err := vaultsync.RemoteGet(context.Background(), n.Node("b"), "a", "v", addrs)
		if err != nil || len(got.Missing) != len(addrs) {
			t.Fatalf("a get of %d addresses: %d missing, %v", len(addrs), len(got.Missing), err)
		}
	})
}

// A block file that is here but torn (a crash after a pull fetched it, before its sync) is not
// trusted: the pull fetches a good copy before it applies the record that references it.
func TestPullReplacesATornBlockBeforeApplying(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, stopNet := linkedPair(t, memnet.Config{})
		defer stopNet()

		aBlocks, bBlocks := memblocks.New(), memblocks.New()
		rec := record(aBlocks, "photo", "t")
		addr := persist.Address(rec.Blocks[0])
		_ = bBlocks.Put(addr, []byte("block \x00")) // same size as "block t", other bytes: torn
		a, b := newSet(rec), newSet()
		stop := vaultsync.Serve(n.Node("a"), a, nil)
		defer stop()
		p := &vaultsync.Puller{T: n.Node("b"), Cat: b, Fetch: &copyFetcher{to: bBlocks, from: map[p2p.PeerID]*memblocks.Store{"a": aBlocks}}, Blocks: bBlocks}
		st, err := p.Pull(context.Background(), "v", "a", []p2p.PeerID{"a"})
		if err != nil {
			t.Fatal(err)
		}
		if st.Records != 1 || st.Blocks != 1 {
			t.Fatalf("stats %+v: the torn block was not fetched again", st)
		}
		if got, err := bBlocks.Get(addr); err != nil || string(got) != "block t" {
			t.Fatalf("b's copy of the block after the pull: %q %v", got, err)
		}
	})
}

// failingApply is a catalog whose Apply fails: a pull fetches blocks and then errs.
type failingApply struct{ *setCatalog }

func (failingApply) Apply(context.Context, string, messages.SyncApply) (messages.SyncApplied, error) {
	return messages.SyncApplied{}, fmt.Errorf("disk full")
}

// A pull that fails after it fetched blocks still reports what it fetched (the daemon's
// storage budget counts those bytes from it), as a paused or a good pull does.
func TestDriverReportsAFailedPullThatFetched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, stopNet := linkedPair(t, memnet.Config{})
		defer stopNet()

		aBlocks, bBlocks := memblocks.New(), memblocks.New()
		stop := vaultsync.Serve(n.Node("a"), newSet(record(aBlocks, "one", "p", "q")), nil)
		defer stop()
		var mu sync.Mutex
		var reported []vaultsync.Stats
		d := &vaultsync.Driver{
			Puller: &vaultsync.Puller{T: n.Node("b"), Cat: failingApply{newSet()}, Blocks: bBlocks,
				Fetch: &copyFetcher{to: bBlocks, from: map[p2p.PeerID]*memblocks.Store{"a": aBlocks}}},
			Vaults:  func(context.Context) []string { return []string{"v"} },
			Holders: func(context.Context, string) []p2p.PeerID { return []p2p.PeerID{"a"} },
			Synced: func(_ string, _ p2p.PeerID, st vaultsync.Stats) {
				mu.Lock()
				reported = append(reported, st)
				mu.Unlock()
			},
			Interval: time.Hour,
		}
		rctx, stopRun := context.WithCancel(t.Context())
		ran := make(chan struct{})
		go func() { d.Run(rctx); close(ran) }()
		time.Sleep(time.Second) // one round
		synctest.Wait()
		stopRun()
		<-ran
		if last := d.Last(); last.Errors != 1 {
			t.Fatalf("round %+v: the pull did not fail", last)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(reported) != 1 || reported[0].Blocks != 2 || reported[0].Bytes == 0 {
			t.Fatalf("reported %+v: the bytes a failed pull fetched went uncounted", reported)
		}
	})
}
