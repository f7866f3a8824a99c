package memnet_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
)

var chaos = memnet.Faults{Delay: 2 * time.Millisecond, Jitter: 10 * time.Millisecond, Drop: 0.1, Duplicate: 0.1, Reorder: 0.1}

// gossipRun is a single-goroutine scenario on the standing clock: four nodes chatting through
// faults, a partition, a crash and a restart. It returns the trace.
func gossipRun(t *testing.T, seed uint64) string {
	ids := []p2p.PeerID{"a", "b", "c", "d"}
	var tr strings.Builder
	n := memnet.New(seed, memnet.Config{Faults: chaos, Now: standing, Trace: &tr, Timeout: 500 * time.Millisecond})
	for _, id := range ids {
		n.Node(id)
	}
	mesh(t, n, ids...)
	topics := map[p2p.PeerID]p2p.Topic{}
	for _, id := range ids {
		tp, _ := join(t, n.Node(id), "t")
		topics[id] = tp
	}
	for r := range 300 {
		switch r {
		case 50:
			n.Partition("a", "b")
		case 100:
			n.PartitionOneWay("c", "d")
		case 150:
			n.Crash("d")
		case 200:
			n.Heal()
			nd, err := n.Restart("d")
			if err != nil {
				t.Fatal(err)
			}
			topics["d"], _ = join(t, nd, "t")
		}
		id := ids[r%len(ids)]
		_ = topics[id].Publish(context.Background(), fmt.Appendf(nil, "%s-%d", id, r))
		n.Advance(n.Now().Add(7 * time.Millisecond))
	}
	n.RunUntilIdle()
	return tr.String()
}

func TestSameSeedSameTrace(t *testing.T) {
	seen := map[string]uint64{}
	for seed := uint64(1); seed <= 20; seed++ {
		a, b := gossipRun(t, seed), gossipRun(t, seed)
		if a != b {
			t.Fatalf("seed %d: traces differ (rerun: go test ./p2p/memnet -run SameSeedSameTrace)\n%s", seed, firstDiff(a, b))
		}
		if other, dup := seen[a]; dup {
			t.Errorf("seeds %d and %d gave the same trace", other, seed)
		}
		seen[a] = seed
	}
	for _, kind := range []string{" gossip deliver ", " gossip drop ", " gossip dup", "+held ", " gossip cut ",
		" ctl crash ", " ctl restart ", " link timeout ", " event deliver "} {
		if !strings.Contains(gossipRun(t, 1), kind) {
			t.Errorf("the scenario never produced %q", kind)
		}
	}
}

// streamRun runs four nodes inside a synctest bubble: every node opens an echo stream to every
// other from its own goroutine, all at once, while gossip flows, a partition comes and goes and a
// node crashes and restarts. batch delivers every due frame before waiting for goroutines, so
// handlers woken by one frame race with later frames and with each other.
func streamRun(t *testing.T, seed uint64, batch bool) (trace string) {
	synctest.Test(t, func(t *testing.T) {
		var tr strings.Builder
		n := memnet.New(seed, memnet.Config{Faults: chaos, Trace: &tr})
		ids := []p2p.PeerID{"a", "b", "c", "d"}
		for _, id := range ids {
			n.Node(id).SetStreamHandler("/echo", blockEcho)
		}
		mesh(t, n, ids...)
		topics := map[p2p.PeerID]p2p.Topic{}
		for _, id := range ids {
			topics[id], _ = join(t, n.Node(id), "t")
		}
		var wg sync.WaitGroup
		for _, from := range ids {
			for _, to := range ids {
				if from != to {
					wg.Go(func() { echoWorker(n.Node(from), to, seed) })
				}
			}
		}
		step := func(d time.Duration) {
			if !batch {
				drive(n, d)
				return
			}
			until := time.Now().Add(d)
			for {
				for n.Step() {
				}
				synctest.Wait()
				next, ok := n.Next()
				if !ok || (d > 0 && next.After(until)) {
					break
				}
				time.Sleep(time.Until(next))
			}
			if wait := time.Until(until); d > 0 && wait > 0 {
				time.Sleep(wait)
			}
		}
		for r := range 40 {
			switch r {
			case 1:
				n.Partition("a", "b")
			case 2:
				n.Crash("d")
			case 5:
				n.Heal()
			case 6:
				_, _ = n.Restart("d")
			}
			id := ids[r%len(ids)]
			_ = topics[id].Publish(context.Background(), fmt.Appendf(nil, "%s-%d", id, r))
			step(10 * time.Millisecond)
		}
		step(0)
		wg.Wait()
		trace = tr.String()
	})
	return trace
}

// block is the record size of blockEcho: reading whole records keeps what the handler writes
// independent of how deliveries were batched.
const block = 500

// blockEcho echoes whole blocks until EOF.
func blockEcho(s p2p.Stream) {
	buf := make([]byte, block)
	for {
		if _, err := io.ReadFull(s, buf); err != nil {
			break
		}
		if _, err := s.Write(buf); err != nil {
			break
		}
	}
	_ = s.Close()
}

// echoWorker sends seeded blocks to peer's echo service and reads them back.
func echoWorker(tr p2p.Transport, peer p2p.PeerID, seed uint64) {
	s, err := tr.OpenStream(context.Background(), peer, "/echo")
	if err != nil {
		return
	}
	r := rand.New(rand.NewPCG(seed, uint64(tr.Self()[0])<<8|uint64(peer[0])))
	var sent bytes.Buffer
	for range 20 {
		p := make([]byte, block)
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		sent.Write(p)
		if _, err := s.Write(p); err != nil {
			return
		}
	}
	_ = s.CloseWrite()
	got, err := io.ReadAll(s)
	if err == nil && !bytes.Equal(got, sent.Bytes()) {
		panic(fmt.Sprintf("%s→%s: echo corrupted: %d of %d bytes", tr.Self(), peer, len(got), sent.Len()))
	}
	_ = s.Close()
}

func TestSameSeedSameTraceInBubble(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		a, b := streamRun(t, seed, false), streamRun(t, seed, false)
		if a != b {
			t.Fatalf("seed %d: traces differ\n%s", seed, firstDiff(a, b))
		}
		if !strings.Contains(a, " stream deliver ") || !strings.Contains(a, " stream reset") {
			t.Fatalf("seed %d: no stream traffic or resets in the trace", seed)
		}
		if c := streamRun(t, seed+100, false); c == a {
			t.Fatalf("seeds %d and %d gave the same trace", seed, seed+100)
		}
	}
}

// TestRacingGoroutinesKeepTheTrace: with frames delivered in batches, handler goroutines run
// concurrently with Step and with each other; per-channel randomness and ordering keep the trace.
func TestRacingGoroutinesKeepTheTrace(t *testing.T) {
	want := streamRun(t, 9, false)
	for i := range 5 {
		if got := streamRun(t, 9, true); got != want {
			t.Fatalf("batched run %d differs from the stepped run\n%s", i, firstDiff(want, got))
		}
	}
}

// firstDiff shows the first differing trace line.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}
