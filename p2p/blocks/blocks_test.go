package blocks_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/blocks"
	"github.com/meshhold/meshhold/p2p/memnet"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/chunk"
	"github.com/meshhold/meshhold/persist/memblocks"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

func TestMaxBlockSizeFitsTheLargestBlock(t *testing.T) {
	if blocks.MaxBlockSize < chunk.Large+vaultcrypt.BlockOverhead {
		t.Fatalf("MaxBlockSize %d is below a sealed 4 MiB chunk", blocks.MaxBlockSize)
	}
}

func TestHaveFetchPushRoundTrip(t *testing.T) {
	bubble(t, func(w *world) {
		ctx := context.Background()
		s := makeSet(0, 8, 300<<10)
		server := s.store(t, 0, 1, 2, 3, 4, 5)
		w.serve("b", server, blocks.ServerConfig{})

		held, err := blocks.Have(ctx, w.node("a"), "b", s.addrs)
		if err != nil || !slices.Equal(held, []bool{true, true, true, true, true, true, false, false}) {
			t.Fatalf("have = %v, %v", held, err)
		}

		local := s.store(t, 1) // a holds block 1 already
		res, err := blocks.Fetch(ctx, w.node("a"), "b", append(s.span(0, 8), s.addrs[0]), local)
		if err != nil {
			t.Fatal(err)
		}
		partitions(t, s.addrs, fetchLists(res)...)
		if s.names(res.Had) != "[1]" || s.names(res.Got) != "[0 2 3 4 5]" || s.names(res.Missing) != "[6 7]" ||
			len(res.Corrupt)+len(res.Left) != 0 || res.Bytes != 5*300<<10 {
			t.Fatalf("fetch: had %s got %s missing %s corrupt %s left %s bytes %d",
				s.names(res.Had), s.names(res.Got), s.names(res.Missing), s.names(res.Corrupt), s.names(res.Left), res.Bytes)
		}
		s.holds(t, local, s.span(0, 6))

		// Fetching again moves nothing.
		res, err = blocks.Fetch(ctx, w.node("a"), "b", s.span(0, 6), local)
		if err != nil || len(res.Had) != 6 || len(res.Got) != 0 {
			t.Fatalf("second fetch: %+v, %v", res, err)
		}

		// a gets 6 and 7 elsewhere and pushes everything to b: b lacks only those two.
		s.putInto(t, local, 6)
		var delivered []persist.Address
		c := blocks.NewClient(w.node("a"), blocks.ClientConfig{OnBlock: func(p p2p.PeerID, a persist.Address, n int) {
			if p != "b" || n != 300<<10 {
				t.Errorf("OnBlock(%s, %d)", p, n)
			}
			delivered = append(delivered, a)
		}})
		pres, err := c.Push(ctx, "b", s.addrs, local)
		if err != nil {
			t.Fatal(err)
		}
		partitions(t, s.addrs, pushLists(pres)...)
		if s.names(pres.Held) != "[0 1 2 3 4 5]" || s.names(pres.Sent) != "[6]" || s.names(pres.Missing) != "[7]" ||
			len(pres.Refused)+len(pres.Corrupt)+len(pres.Left) != 0 || pres.Bytes != 300<<10 || s.names(delivered) != "[6]" {
			t.Fatalf("push: %+v", pres)
		}
		s.holds(t, server, s.span(0, 7))
	})
}

// A block the server cannot read back intact is reported missing, never sent: a flipped bit on
// read, an empty file, a body that does not match its address.
func TestServerNeverSendsCorrupt(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 5, 64<<10)
		server := s.store(t, 0, 1, 4)
		server.Faults().FlipBitOnRead(s.addrs[0])
		server.Faults().EmptyOnRead(s.addrs[1])
		if err := server.Put(s.addrs[2], s.data[s.addrs[3]]); err != nil { // 2's address, 3's bytes
			t.Fatal(err)
		}
		w.serve("b", server, blocks.ServerConfig{})
		local := memblocks.New()
		res, err := blocks.Fetch(context.Background(), w.node("a"), "b", s.span(0, 5), local)
		if err != nil {
			t.Fatal(err)
		}
		if s.names(res.Missing) != "[0 1 2 3]" || s.names(res.Got) != "[4]" || len(res.Corrupt) != 0 {
			t.Fatalf("missing %s got %s corrupt %s", s.names(res.Missing), s.names(res.Got), s.names(res.Corrupt))
		}
		s.holds(t, local, s.pick(4))
	})
}

// Bytes that do not match their address (a server over a store that does not verify, or a
// hostile peer) are reported corrupt and never stored; the rest of the stream goes on.
func TestClientRejectsCorruptBytes(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 4, 64<<10)
		liar := newLyingStore()
		s.putInto(t, liar, 0, 2, 3)
		bad := append([]byte(nil), s.data[s.addrs[1]]...)
		bad[100] ^= 1
		_ = liar.Put(s.addrs[1], bad)
		w.serve("b", liar, blocks.ServerConfig{})
		local := memblocks.New()
		res, err := blocks.Fetch(context.Background(), w.node("a"), "b", s.addrs, local)
		if err != nil {
			t.Fatal(err)
		}
		if s.names(res.Corrupt) != "[1]" || s.names(res.Got) != "[0 2 3]" {
			t.Fatalf("corrupt %s got %s", s.names(res.Corrupt), s.names(res.Got))
		}
		s.holds(t, local, s.pick(0, 2, 3))
	})
}

// resumeAfter fetches 20 blocks from a slow server, breaks the transfer with cut at 60 ms,
// repairs with mend, and fetches again: the first fetch keeps what arrived whole, the second
// fetches only the rest.
func resumeAfter(t *testing.T, cut, mend func(w *world, serve func())) {
	bubble(t, func(w *world) {
		s := makeSet(0, 20, 128<<10)
		server := &slowStore{BlockStore: s.store(t), d: 10 * time.Millisecond}
		serve := func() { w.serve("b", server, blocks.ServerConfig{}) }
		serve()
		local := memblocks.New()
		type outcome struct {
			res blocks.FetchResult
			err error
		}
		first := make(chan outcome, 1)
		go func() {
			res, err := blocks.Fetch(context.Background(), w.node("a"), "b", s.addrs, local)
			first <- outcome{res, err}
		}()
		time.Sleep(60 * time.Millisecond)
		cut(w, serve)
		o := <-first
		if o.err == nil {
			t.Fatal("the first fetch survived the break")
		}
		partitions(t, s.addrs, fetchLists(o.res)...)
		got, left := o.res.Got, o.res.Left
		if len(got) == 0 || len(left) == 0 || !slices.Equal(append(slices.Clone(got), left...), s.addrs) {
			t.Fatalf("first fetch: got %s left %s (%v)", s.names(got), s.names(left), o.err)
		}
		s.holds(t, local, got)

		time.Sleep(50 * time.Millisecond) // the old server's read-ahead ends
		mend(w, serve)
		before := server.gets.Load()
		res, err := blocks.Fetch(context.Background(), w.node("a"), "b", s.addrs, local)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Had, got) || !slices.Equal(res.Got, left) || server.gets.Load()-before != int64(len(left)) {
			t.Fatalf("second fetch: had %s got %s, %d reads on the server for %d left",
				s.names(res.Had), s.names(res.Got), server.gets.Load()-before, len(left))
		}
		s.holds(t, local, s.addrs)
	})
}

func TestFetchResumesAfterCrash(t *testing.T) {
	resumeAfter(t, func(w *world, _ func()) { w.net.Crash("b") }, func(w *world, serve func()) {
		if _, err := w.net.Restart("b"); err != nil {
			t.Fatal(err)
		}
		serve()
	})
}

func TestFetchResumesAfterPartition(t *testing.T) {
	resumeAfter(t, func(w *world, _ func()) { w.net.Partition("a", "b") }, func(w *world, _ func()) {
		w.net.Heal()
		time.Sleep(10 * time.Millisecond) // the link comes back
	})
}

func TestPushAccept(t *testing.T) {
	bubble(t, func(w *world) {
		small, big := makeSet(0, 4, 64<<10), makeSet(10, 2, 256<<10)
		local := small.store(t)
		big.putInto(t, local)
		var offers, arrivals, stored []persist.Address
		server := memblocks.New()
		w.serve("b", server, blocks.ServerConfig{
			Accept: func(p p2p.PeerID, a persist.Address, size int) bool {
				if p != "a" {
					t.Errorf("Accept from %s", p)
				}
				if size < 0 {
					offers = append(offers, a)
					return a != small.addrs[1] // refused at the offer: never sent
				}
				arrivals = append(arrivals, a)
				return size <= 100<<10 // the big ones are refused when they arrive
			},
			Stored: func(p p2p.PeerID, a persist.Address, size int) { stored = append(stored, a) },
		})
		all := append(small.span(0, 4), big.addrs...)
		_, outBefore := w.node("a").Traffic()
		res, err := blocks.Push(context.Background(), w.node("a"), "b", all, local)
		if err != nil {
			t.Fatal(err)
		}
		_, outAfter := w.node("a").Traffic()
		partitions(t, all, pushLists(res)...)
		want := append(small.pick(0, 2, 3), big.addrs...)
		if len(res.Sent) != 3 || !slices.Equal(res.Sent, small.pick(0, 2, 3)) ||
			!slices.Equal(res.Refused, append(small.pick(1), big.addrs...)) || len(offers) != 6 || !slices.Equal(arrivals, want) ||
			!slices.Equal(stored, small.pick(0, 2, 3)) {
			t.Fatalf("push: sent %s refused %s; offers %d arrivals %d stored %d", small.names(res.Sent),
				small.names(res.Refused), len(offers), len(arrivals), len(stored))
		}
		small.holds(t, server, small.pick(0, 2, 3))
		big.holds(t, server, nil)
		// Block 1 never travelled: what went out is the five other blocks and a little framing.
		if sent, limit := outAfter-outBefore, uint64(3*64<<10+2*256<<10+4<<10); sent > limit {
			t.Errorf("a sent %d bytes, want at most %d (block 1 refused at the offer)", sent, limit)
		}
	})
}

func TestPushSpreadsOverStreamsWithinTheBudget(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 10, 64<<10)
		huge := makeSet(20, 1, 300<<10)
		local := s.store(t)
		huge.putInto(t, local)
		server := memblocks.New()
		w.serve("b", server, blocks.ServerConfig{MaxPutBytes: 3*64<<10 + 1})
		ct := &countingTransport{Transport: w.node("a")}
		res, err := blocks.Push(context.Background(), ct, "b", append(s.span(0, 10), huge.addrs...), local)
		if err != nil {
			t.Fatal(err)
		}
		partitions(t, append(s.span(0, 10), huge.addrs...), pushLists(res)...)
		if !slices.Equal(res.Sent, s.addrs) || !slices.Equal(res.Refused, huge.addrs) || res.Bytes != 10*64<<10 {
			t.Fatalf("sent %s refused %s", s.names(res.Sent), s.names(res.Refused))
		}
		// Three blocks per stream: four streams for ten, one more to find the huge one never fits.
		if maxOpen, all := ct.stats(); maxOpen != 1 || all != 5 {
			t.Fatalf("streams: %d at most at once, %d in all; want 1 and 5", maxOpen, all)
		}
		s.holds(t, server, s.addrs)
	})
}

// A pusher whose bytes do not match gets them reported corrupt; the server stores nothing of them.
func TestPushCorruptIsNotStored(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 3, 64<<10)
		liar := newLyingStore()
		s.putInto(t, liar, 0, 2)
		bad := append([]byte(nil), s.data[s.addrs[1]]...)
		bad[7] ^= 0x80
		_ = liar.Put(s.addrs[1], bad)
		server := memblocks.New()
		w.serve("b", server, blocks.ServerConfig{})
		res, err := blocks.Push(context.Background(), w.node("a"), "b", s.addrs, liar)
		if err != nil {
			t.Fatal(err)
		}
		if s.names(res.Corrupt) != "[1]" || s.names(res.Sent) != "[0 2]" {
			t.Fatalf("corrupt %s sent %s", s.names(res.Corrupt), s.names(res.Sent))
		}
		s.holds(t, server, s.pick(0, 2))
	})
}

func TestServerBusy(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 10, 64<<10)
		server := &slowStore{BlockStore: s.store(t), d: 100 * time.Millisecond}
		w.serve("b", server, blocks.ServerConfig{MaxStreamsPerPeer: 1, MaxStreams: 2})
		ctx := context.Background()
		long := make(chan error, 2)
		go func() { _, err := blocks.Fetch(ctx, w.node("a"), "b", s.addrs, memblocks.New()); long <- err }()
		time.Sleep(50 * time.Millisecond)
		if _, err := blocks.Have(ctx, w.node("a"), "b", s.addrs); !errors.Is(err, blocks.ErrBusy) {
			t.Fatalf("a second stream from a: %v, want ErrBusy", err)
		}
		go func() { _, err := blocks.Fetch(ctx, w.node("c"), "b", s.addrs, memblocks.New()); long <- err }()
		time.Sleep(50 * time.Millisecond)
		if _, err := blocks.Fetch(ctx, w.node("d"), "b", s.addrs, memblocks.New()); !errors.Is(err, blocks.ErrBusy) {
			t.Fatalf("a third stream in all: %v, want ErrBusy", err)
		}
		for range 2 {
			if err := <-long; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := blocks.Have(ctx, w.node("d"), "b", s.addrs); err != nil {
			t.Fatalf("once the others ended: %v", err)
		}
	})
}

func TestClientBoundsItsStreams(t *testing.T) {
	for _, maxStreams := range []int{1, 3} {
		bubble(t, func(w *world) {
			s := makeSet(0, 9, 64<<10)
			for i, id := range []p2p.PeerID{"b", "c", "d"} {
				w.serve(id, &slowStore{BlockStore: s.store(t, 3*i, 3*i+1, 3*i+2), d: 10 * time.Millisecond}, blocks.ServerConfig{})
			}
			ct := &countingTransport{Transport: w.node("a")}
			c := blocks.NewClient(ct, blocks.ClientConfig{MaxStreams: maxStreams})
			local := memblocks.New()
			res, err := c.FetchAny(context.Background(), []p2p.PeerID{"b", "c", "d"}, s.addrs, local)
			if err != nil || !slices.Equal(res.Got, s.addrs) {
				t.Fatalf("fetch any: got %s, %v", s.names(res.Got), err)
			}
			if most, _ := ct.stats(); most != maxStreams {
				t.Fatalf("MaxStreams %d: %d streams open at once", maxStreams, most)
			}
		})
	}
}

func TestFetchAnyFallsBack(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 11, 64<<10) // 10 is held by nobody
		b := s.store(t, 0, 1, 2, 3)
		b.Faults().FlipBitOnRead(s.addrs[2]) // b says it holds 2 but cannot read it back
		d := newLyingStore()
		s.putInto(t, d, 4, 6, 7)
		bad := append([]byte(nil), s.data[s.addrs[5]]...)
		bad[0] ^= 1
		_ = d.Put(s.addrs[5], bad) // d sends 5 corrupt
		c := s.store(t, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
		w.serve("b", b, blocks.ServerConfig{})
		w.serve("c", c, blocks.ServerConfig{})
		w.serve("d", d, blocks.ServerConfig{})

		var mu sync.Mutex
		from := map[persist.Address]p2p.PeerID{}
		client := blocks.NewClient(w.node("a"), blocks.ClientConfig{OnBlock: func(p p2p.PeerID, a persist.Address, _ int) {
			mu.Lock()
			defer mu.Unlock()
			from[a] = p
		}})
		local := memblocks.New()
		res, err := client.FetchAny(context.Background(), []p2p.PeerID{"b", "d", "c"}, s.addrs, local)
		if err != nil {
			t.Fatal(err)
		}
		partitions(t, s.addrs, fetchLists(res)...)
		if !slices.Equal(res.Got, s.span(0, 10)) || s.names(res.Missing) != "[10]" || len(res.Corrupt)+len(res.Left) != 0 {
			t.Fatalf("got %s missing %s corrupt %s left %s", s.names(res.Got), s.names(res.Missing), s.names(res.Corrupt), s.names(res.Left))
		}
		want := []p2p.PeerID{"b", "b", "c", "b", "d", "c", "d", "d", "c", "c"}
		for i, p := range want {
			if from[s.addrs[i]] != p {
				t.Errorf("block %d came from %s, want %s", i, from[s.addrs[i]], p)
			}
		}
		s.holds(t, local, s.span(0, 10))
	})
}

// A holder that crashes mid-transfer hands its blocks to the next one.
func TestFetchAnySurvivesAHolderCrash(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 20, 64<<10)
		w.serve("b", &slowStore{BlockStore: s.store(t), d: 10 * time.Millisecond}, blocks.ServerConfig{})
		w.serve("c", s.store(t), blocks.ServerConfig{})
		go func() {
			time.Sleep(60 * time.Millisecond)
			w.net.Crash("b")
		}()
		var mu sync.Mutex
		from := map[persist.Address]p2p.PeerID{}
		client := blocks.NewClient(w.node("a"), blocks.ClientConfig{OnBlock: func(p p2p.PeerID, a persist.Address, _ int) {
			mu.Lock()
			defer mu.Unlock()
			from[a] = p
		}})
		local := memblocks.New()
		res, err := client.FetchAny(context.Background(), []p2p.PeerID{"b", "c"}, s.addrs, local)
		if err != nil || !slices.Equal(res.Got, s.addrs) {
			t.Fatalf("got %s left %s: %v", s.names(res.Got), s.names(res.Left), err)
		}
		if from[s.addrs[0]] != "b" || from[s.addrs[19]] != "c" {
			t.Fatalf("first block from %s, last from %s: want b then c", from[s.addrs[0]], from[s.addrs[19]])
		}
		s.holds(t, local, s.addrs)
	})
}

// When no holder can deliver, the blocks are Left and the error says why.
func TestFetchAnyLeftWhenHoldersFail(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 3, 64<<10)
		w.serve("b", s.store(t), blocks.ServerConfig{})
		res, err := blocks.FetchAny(context.Background(), w.node("a"), []p2p.PeerID{"a", "c", "b", "c"}, s.addrs, memblocks.New()) // itself and a repeat are dropped
		// c does not serve blocks: its HAVE fails, b delivers everything.
		if err != nil || len(res.Got) != 3 {
			t.Fatalf("got %d: %v", len(res.Got), err)
		}
		other := makeSet(10, 2, 64<<10)
		res, err = blocks.FetchAny(context.Background(), w.node("a"), []p2p.PeerID{"c", "b"}, other.addrs, memblocks.New())
		// Nobody that answered holds them, but c did not answer: unknown, so Left.
		if !errors.Is(err, blocks.ErrUnsettled) || len(res.Left) != 2 {
			t.Fatalf("left %d: %v", len(res.Left), err)
		}
		res, err = blocks.FetchAny(context.Background(), w.node("a"), []p2p.PeerID{"b"}, other.addrs, memblocks.New())
		if err != nil || len(res.Missing) != 2 {
			t.Fatalf("missing %d: %v", len(res.Missing), err)
		}
	})
}

func TestHaveSplitsLongListsIntoBatches(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 3, 1024)
		w.serve("b", s.store(t), blocks.ServerConfig{})
		addrs := make([]persist.Address, 2500)
		for i := range addrs {
			addrs[i][0], addrs[i][1] = byte(i), byte(i>>8)
		}
		addrs[1500], addrs[2499] = s.addrs[0], s.addrs[2]
		ct := &countingTransport{Transport: w.node("a")}
		held, err := blocks.Have(context.Background(), ct, "b", addrs)
		if err != nil || len(held) != 2500 {
			t.Fatalf("%d answers, %v", len(held), err)
		}
		for i, h := range held {
			if h != (i == 1500 || i == 2499) {
				t.Fatalf("held[%d] = %v", i, h)
			}
		}
		if _, all := ct.stats(); all != 3 {
			t.Fatalf("%d streams for 2500 addresses, want 3", all)
		}
	})
}

func TestServerStop(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 10, 64<<10)
		stop := w.serve("b", &slowStore{BlockStore: s.store(t), d: 10 * time.Millisecond}, blocks.ServerConfig{})
		done := make(chan error, 1)
		go func() {
			_, err := blocks.Fetch(context.Background(), w.node("a"), "b", s.addrs, memblocks.New())
			done <- err
		}()
		time.Sleep(30 * time.Millisecond)
		stop()
		if err := <-done; err == nil {
			t.Fatal("a fetch survived the server's stop")
		}
		if _, err := blocks.Have(context.Background(), w.node("a"), "b", s.addrs); err == nil {
			t.Fatal("a stopped server answered")
		}
	})
}

func TestFetchCancelled(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 10, 64<<10)
		w.serve("b", &slowStore{BlockStore: s.store(t), d: 10 * time.Millisecond}, blocks.ServerConfig{})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		res, err := blocks.Fetch(ctx, w.node("a"), "b", s.addrs, memblocks.New())
		if !errors.Is(err, context.DeadlineExceeded) || len(res.Got)+len(res.Left) != 10 || len(res.Left) == 0 {
			t.Fatalf("got %d left %d: %v", len(res.Got), len(res.Left), err)
		}
	})
}

// A failing local store ends a fetch with ErrLocalStore; what was stored before stays.
func TestFetchLocalStoreFailure(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 5, 64<<10)
		w.serve("b", s.store(t), blocks.ServerConfig{})
		local := memblocks.New()
		local.Faults().FailNthPut(3)
		res, err := blocks.Fetch(context.Background(), w.node("a"), "b", s.addrs, local)
		if !errors.Is(err, blocks.ErrLocalStore) || s.names(res.Got) != "[0 1]" || !slices.Contains(res.Left, s.addrs[2]) {
			t.Fatalf("got %s left %s: %v", s.names(res.Got), s.names(res.Left), err)
		}
		local.Faults().Reset()
		res, err = blocks.Fetch(context.Background(), w.node("a"), "b", s.addrs, local)
		if err != nil || len(res.Got)+len(res.Had) != 5 {
			t.Fatalf("again: %+v, %v", res, err)
		}
		s.holds(t, local, s.addrs)
	})
}

// The server refuses a request of more than MaxBatch addresses, and malformed requests, with a
// status; it resets a put stream that sends a block it did not offer.
func TestServerRefusesBadRequests(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 2, 1024)
		server := s.store(t)
		w.serve("b", server, blocks.ServerConfig{})
		ask := func(frame []byte) ([]byte, error) {
			st, err := w.node("a").OpenStream(context.Background(), "b", blocks.Protocol)
			if err != nil {
				return nil, err
			}
			defer st.Close()
			if _, err := st.Write(frame); err != nil {
				return nil, err
			}
			return io.ReadAll(st)
		}
		many := make([]persist.Address, blocks.MaxBatch+1)
		for name, tc := range map[string]struct {
			frame []byte
			want  string
		}{
			"MaxBatch+1 addresses": {rawRequest('H', many), "\x01\x02"},
			"MaxBatch addresses":   {rawRequest('H', many[:blocks.MaxBatch]), "\x81\x01\x00" + strings.Repeat("\x00", blocks.MaxBatch/8)},
			"unknown operation":    {rawRequest('X', s.addrs), "\x01\x03"},
			"another version":      {append([]byte{2, 2}, 'H'), "\x01\x03"},
			"a cut address":        {append(binary.AppendUvarint(nil, 2+31), append([]byte{1, 'H'}, make([]byte, 31)...)...), "\x01\x03"},
			"have":                 {rawRequest('H', append(s.addrs, many[0])), "\x02\x00\x03"},
		} {
			got, err := ask(tc.frame)
			if err != nil || string(got) != tc.want {
				t.Errorf("%s: answer %q, %v; want %q", name, got, err, tc.want)
			}
		}

		// A put of an address it did not offer: the stream is reset, nothing stored.
		other := makeSet(5, 2, 1024)
		st, err := w.node("a").OpenStream(context.Background(), "b", blocks.Protocol)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = st.Write(rawRequest('P', other.pick(0)))
		answer := make([]byte, 1+1+8+1)
		if _, err := io.ReadFull(st, answer); err != nil || answer[1] != 0 || answer[10] != 0 {
			t.Fatalf("put offer answer %q, %v; want ok, the budget, send", answer, err)
		}
		frame := append(binary.AppendUvarint(nil, uint64(32+1024)), other.addrs[1][:]...)
		_, _ = st.Write(append(frame, other.data[other.addrs[1]]...))
		_ = st.CloseWrite()
		if got, err := io.ReadAll(st); !errors.Is(err, memnet.ErrReset) {
			t.Fatalf("put of a block not offered: read %q, %v; want a reset", got, err)
		}
		other.holds(t, server, nil)
	})
}

// failingHas is a store whose Has fails for one address.
type failingHas struct {
	persist.BlockStore
	bad persist.Address
}

func (f failingHas) Has(a persist.Address) (bool, error) {
	if a == f.bad {
		return false, errors.New("disk on fire")
	}
	return f.BlockStore.Has(a)
}

// A local store that cannot say what it holds ends the call before any stream: every address
// it had not found is Left.
func TestLocalHasFailure(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 5, 1024)
		w.serve("b", s.store(t), blocks.ServerConfig{})
		local := failingHas{BlockStore: s.store(t, 1), bad: s.addrs[3]}
		res, err := blocks.Fetch(context.Background(), w.node("a"), "b", s.addrs, local)
		if !errors.Is(err, blocks.ErrLocalStore) || s.names(res.Had) != "[1]" || s.names(res.Left) != "[0 2 3 4]" {
			t.Fatalf("fetch: had %s left %s: %v", s.names(res.Had), s.names(res.Left), err)
		}
		res, err = blocks.FetchAny(context.Background(), w.node("a"), []p2p.PeerID{"b"}, s.addrs, local)
		if !errors.Is(err, blocks.ErrLocalStore) || s.names(res.Had) != "[1]" || s.names(res.Left) != "[0 2 3 4]" {
			t.Fatalf("fetch any: had %s left %s: %v", s.names(res.Had), s.names(res.Left), err)
		}
	})
}

// A push cut by the peer's crash reports what the peer confirmed; pushing again sends the rest.
func TestPushResumesAfterCrash(t *testing.T) {
	bubble(t, func(w *world) {
		s := makeSet(0, 20, 128<<10)
		local := &slowStore{BlockStore: s.store(t), d: 10 * time.Millisecond}
		server := memblocks.New()
		w.serve("b", server, blocks.ServerConfig{})
		go func() {
			time.Sleep(60 * time.Millisecond)
			w.net.Crash("b")
		}()
		first, err := blocks.Push(context.Background(), w.node("a"), "b", s.addrs, local)
		if err == nil || len(first.Sent) == 0 || len(first.Left) == 0 {
			t.Fatalf("first push: sent %d left %d, %v", len(first.Sent), len(first.Left), err)
		}
		partitions(t, s.addrs, pushLists(first)...)
		if _, err := w.net.Restart("b"); err != nil {
			t.Fatal(err)
		}
		w.serve("b", server, blocks.ServerConfig{})
		res, err := blocks.Push(context.Background(), w.node("a"), "b", s.addrs, local)
		if err != nil {
			t.Fatal(err)
		}
		partitions(t, s.addrs, res.Held, res.Sent)
		for _, a := range first.Sent {
			if !slices.Contains(res.Held, a) {
				t.Errorf("block %s, confirmed by the first push, was sent again", s.names([]persist.Address{a}))
			}
		}
		s.holds(t, server, s.addrs)
	})
}
