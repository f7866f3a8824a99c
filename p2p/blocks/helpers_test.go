package blocks_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/blocks"
	"github.com/meshhold/meshhold/p2p/memnet"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memblocks"
)

// world is a memnet network of nodes a, b, c and d, all linked, inside a synctest bubble.
type world struct {
	t     *testing.T
	net   *memnet.Network
	stops []func()
}

// delay is memnet's one-way latency in these tests.
const delay = 5 * time.Millisecond

// bubble runs fn in a synctest bubble with a world delivering in the background; servers
// started with serve are stopped at the end, and every goroutine must have ended.
func bubble(t *testing.T, fn func(w *world)) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New(1, memnet.Config{Faults: memnet.Faults{Delay: delay}, Timeout: 2 * time.Second})
		ids := []p2p.PeerID{"a", "b", "c", "d"}
		for _, id := range ids {
			n.Node(id)
		}
		for i, x := range ids {
			for _, y := range ids[i+1:] {
				if err := n.Connect(x, y); err != nil {
					t.Fatal(err)
				}
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		w := &world{t: t, net: n}
		t.Cleanup(func() { // also after a t.Fatal, so the bubble can end
			for _, stop := range w.stops {
				stop()
			}
			cancel()
			<-done
		})
		fn(w)
	})
}

// node is id's current transport.
func (w *world) node(id p2p.PeerID) p2p.Transport { return w.net.Node(id) }

// serve serves store on id until the end of the bubble (or the returned stop).
func (w *world) serve(id p2p.PeerID, store persist.BlockStore, cfg blocks.ServerConfig) func() {
	stop := blocks.Serve(w.node(id), store, cfg)
	w.stops = append(w.stops, stop)
	return stop
}

// block is the i-th test block of size bytes: random bytes drawn from i.
func block(i, size int) []byte {
	r := rand.NewChaCha8([32]byte{byte(i), byte(i >> 8), 1})
	b := make([]byte, size)
	_, _ = r.Read(b)
	return b
}

// set is n test blocks of size bytes from first on.
type set struct {
	addrs []persist.Address
	data  map[persist.Address][]byte
}

func makeSet(first, n, size int) set {
	s := set{data: map[persist.Address][]byte{}}
	for i := first; i < first+n; i++ {
		b := block(i, size)
		a := persist.AddressOf(b)
		s.addrs = append(s.addrs, a)
		s.data[a] = b
	}
	return s
}

// store puts the blocks at the given positions (all when none) into a new memblocks store.
func (s set) store(t *testing.T, at ...int) *memblocks.Store {
	t.Helper()
	st := memblocks.New()
	s.putInto(t, st, at...)
	return st
}

func (s set) putInto(t *testing.T, st persist.BlockStore, at ...int) {
	t.Helper()
	if len(at) == 0 {
		for i := range s.addrs {
			at = append(at, i)
		}
	}
	for _, i := range at {
		if err := st.Put(s.addrs[i], s.data[s.addrs[i]]); err != nil {
			t.Fatal(err)
		}
	}
}

// pick is the addresses at the given positions.
func (s set) pick(at ...int) []persist.Address {
	var out []persist.Address
	for _, i := range at {
		out = append(out, s.addrs[i])
	}
	return out
}

// span is the addresses at positions [from, to).
func (s set) span(from, to int) []persist.Address { return slices.Clone(s.addrs[from:to]) }

// holds checks that st holds exactly want of s's blocks, with the right bytes.
func (s set) holds(t *testing.T, st persist.BlockStore, want []persist.Address) {
	t.Helper()
	for _, a := range s.addrs {
		data, err := st.Get(a)
		switch {
		case slices.Contains(want, a) && err != nil:
			t.Errorf("block %s: %v, want it stored", short(a), err)
		case slices.Contains(want, a) && string(data) != string(s.data[a]):
			t.Errorf("block %s: wrong bytes stored", short(a))
		case !slices.Contains(want, a) && err == nil:
			t.Errorf("block %s is stored, want it not", short(a))
		}
	}
}

func short(a persist.Address) string { return a.String()[:8] }

// names renders addresses as their positions in s, for messages and comparisons.
func (s set) names(addrs []persist.Address) string {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		if i := slices.Index(s.addrs, a); i >= 0 {
			out = append(out, fmt.Sprint(i))
		} else {
			out = append(out, short(a))
		}
	}
	return fmt.Sprint(out)
}

// slowStore hides a store's ReadBlock (so the server takes the Get path) and makes each Get
// take d; it counts the Gets.
type slowStore struct {
	persist.BlockStore
	d    time.Duration
	gets atomic.Int64
}

func (s *slowStore) Get(a persist.Address) ([]byte, error) {
	s.gets.Add(1)
	time.Sleep(s.d)
	return s.BlockStore.Get(a)
}

// lyingStore breaks the BlockStore contract on purpose: Get returns whatever was Put, never
// verified, so a server over it sends a wrong body as is.
type lyingStore struct {
	mu   sync.Mutex
	data map[persist.Address][]byte
}

func newLyingStore() *lyingStore { return &lyingStore{data: map[persist.Address][]byte{}} }

func (s *lyingStore) Put(a persist.Address, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[a] = slices.Clone(b)
	return nil
}

func (s *lyingStore) Get(a persist.Address) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.data[a]; ok {
		return b, nil
	}
	return nil, persist.ErrBlockMissing
}

func (s *lyingStore) Has(a persist.Address) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.data[a]
	return ok, nil
}

func (s *lyingStore) Delete(a persist.Address) error { return nil }
func (s *lyingStore) Sync() error                    { return nil }

// countingTransport counts the streams it has open at once, and the most it had.
type countingTransport struct {
	p2p.Transport
	mu             sync.Mutex
	open, max, all int
}

func (c *countingTransport) OpenStream(ctx context.Context, peer p2p.PeerID, proto string) (p2p.Stream, error) {
	s, err := c.Transport.OpenStream(ctx, peer, proto)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.open++
	c.all++
	c.max = max(c.max, c.open)
	c.mu.Unlock()
	return &countedStream{Stream: s, c: c}, nil
}

func (c *countingTransport) stats() (maxOpen, all int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max, c.all
}

type countedStream struct {
	p2p.Stream
	c    *countingTransport
	once sync.Once
}

func (s *countedStream) done() {
	s.once.Do(func() {
		s.c.mu.Lock()
		s.c.open--
		s.c.mu.Unlock()
	})
}

func (s *countedStream) Close() error { s.done(); return s.Stream.Close() }
func (s *countedStream) Reset() error { s.done(); return s.Stream.Reset() }

// rawRequest is a request frame as the protocol defines it: version, op, addresses.
func rawRequest(op byte, addrs []persist.Address) []byte {
	body := []byte{1, op}
	for _, a := range addrs {
		body = append(body, a[:]...)
	}
	return append(binary.AppendUvarint(nil, uint64(len(body))), body...)
}

// partitions checks that every address of addrs (repeats removed) is in exactly one of lists.
func partitions(t *testing.T, addrs []persist.Address, lists ...[]persist.Address) {
	t.Helper()
	seen := map[persist.Address]int{}
	for _, l := range lists {
		for _, a := range l {
			seen[a]++
		}
	}
	for _, a := range addrs {
		if seen[a] != 1 {
			t.Errorf("address %s is in %d lists, want 1", short(a), seen[a])
		}
		delete(seen, a)
	}
	for a := range seen {
		t.Errorf("address %s was not asked for", short(a))
	}
}

func fetchLists(r blocks.FetchResult) [][]persist.Address {
	return [][]persist.Address{r.Had, r.Got, r.Missing, r.Corrupt, r.Left}
}

func pushLists(r blocks.PushResult) [][]persist.Address {
	return [][]persist.Address{r.Held, r.Sent, r.Refused, r.Corrupt, r.Missing, r.Left}
}
