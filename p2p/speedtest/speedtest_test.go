package speedtest_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
	"github.com/meshhold/meshhold/p2p/speedtest"
)

// bubble runs fn inside a synctest bubble with a network of a, b and c (b linked to both) that
// delivers in the background, b serving speed tests within serverLimits.
func bubble(t *testing.T, serverLimits speedtest.Limits, fn func(n *memnet.Network)) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New(1, memnet.Config{Faults: memnet.Faults{Delay: 10 * time.Millisecond}})
		for _, id := range []p2p.PeerID{"a", "b", "c"} {
			n.Node(id)
		}
		for _, peer := range []p2p.PeerID{"a", "c"} {
			if err := n.Connect(peer, "b"); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		stop := speedtest.Serve(n.Node("b"), serverLimits)
		fn(n)
		stop()
		cancel()
		<-done
	})
}

func TestResultIsSane(t *testing.T) {
	bubble(t, speedtest.Limits{}, func(n *memnet.Network) {
		res, err := speedtest.Run(context.Background(), n.Node("a"), "b", speedtest.Limits{MaxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		// memnet: 10 ms each way, no bandwidth limit: the data lands with the first frame and the
		// ack comes back one delay later.
		if res.PeerID != "b" || res.RTTMs != 20 || res.Bytes != 1<<20 || res.Seconds != 0.02 || res.Error != "" || res.AtMs == 0 {
			t.Fatalf("result %+v", res)
		}
		if want := float64(1<<20) * 8 / 0.02 / 1e6; res.Mbps != want {
			t.Fatalf("mbps %v, want %v", res.Mbps, want)
		}
	})
}

func TestServerLimitsWin(t *testing.T) {
	bubble(t, speedtest.Limits{MaxBytes: 256 << 10}, func(n *memnet.Network) {
		res, err := speedtest.Run(context.Background(), n.Node("a"), "b", speedtest.Limits{MaxBytes: 1 << 20})
		if err != nil || res.Bytes != 256<<10 {
			t.Fatalf("result %+v, %v: want the server's 256 KiB", res, err)
		}
	})
}

// slowTransport's streams take 10 ms per write, like a link with flow control.
type slowTransport struct{ p2p.Transport }

func (s slowTransport) OpenStream(ctx context.Context, peer p2p.PeerID, proto string) (p2p.Stream, error) {
	st, err := s.Transport.OpenStream(ctx, peer, proto)
	return slowStream{st}, err
}

type slowStream struct{ p2p.Stream }

func (s slowStream) Write(p []byte) (int, error) {
	time.Sleep(10 * time.Millisecond)
	return s.Stream.Write(p)
}

func TestTimeLimitStopsTheSender(t *testing.T) {
	bubble(t, speedtest.Limits{}, func(n *memnet.Network) {
		tr := slowTransport{n.Node("a")}
		res, err := speedtest.Run(context.Background(), tr, "b", speedtest.Limits{MaxTime: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if res.Bytes != 10*64<<10 || res.Seconds < 0.1 || res.Seconds > 0.2 {
			t.Fatalf("result %+v: want 10 chunks in a bit over 100 ms", res)
		}
	})
}

func TestRefusals(t *testing.T) {
	bubble(t, speedtest.Limits{}, func(n *memnet.Network) {
		_, err := speedtest.Run(context.Background(), n.Node("a"), "c", speedtest.Limits{})
		if !errors.Is(err, speedtest.ErrNotConnected) || !errors.Is(err, messages.ErrNotFound) {
			t.Fatalf("a to c (not linked): %v", err)
		}

		// One test per peer: a second one from the same node is refused here...
		slow := slowTransport{n.Node("a")}
		first := make(chan error, 1)
		go func() {
			_, err := speedtest.Run(context.Background(), slow, "b", speedtest.Limits{MaxTime: time.Second})
			first <- err
		}()
		time.Sleep(100 * time.Millisecond)
		if _, err := speedtest.Run(context.Background(), slow, "b", speedtest.Limits{}); !errors.Is(err, speedtest.ErrBusy) || !errors.Is(err, messages.ErrConflict) {
			t.Fatalf("a second test from a: %v", err)
		}
		// ...and by the server, when another process of the same node asks (a raw stream here).
		raw := openRaw(t, n.Node("a"))
		if g := readControl(t, raw); g != `{"v":1,"error":"busy"}` {
			t.Fatalf("server grant to a second test from a: %s", g)
		}
		// MaxConcurrent in all: c's test would be the third.
		if _, err := speedtest.Run(context.Background(), slowTransport{n.Node("c")}, "b", speedtest.Limits{MaxTime: 50 * time.Millisecond}); err != nil {
			t.Fatalf("c's test alongside a's: %v", err)
		}
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if _, err := speedtest.Run(context.Background(), n.Node("a"), "b", speedtest.Limits{MaxBytes: 1024}); err != nil {
			t.Fatalf("a's test after the first ended: %v", err)
		}
	})
}

// openRaw opens a speed test stream from tr to b and sends a request.
func openRaw(t *testing.T, tr p2p.Transport) p2p.Stream {
	t.Helper()
	s, err := tr.OpenStream(context.Background(), "b", speedtest.Protocol)
	if err != nil {
		t.Fatal(err)
	}
	req := []byte(`{"v":1,"pings":0,"max_bytes":1024,"max_ms":1000}`)
	if _, err := s.Write(append(binary.AppendUvarint(nil, uint64(len(req))), req...)); err != nil {
		t.Fatal(err)
	}
	return s
}

func readControl(t *testing.T, s p2p.Stream) string {
	t.Helper()
	br := bufio.NewReader(s)
	n, err := binary.ReadUvarint(br)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(br, b); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A peer that sends more than it was granted, or stalls, loses the stream; the server goes on.
func TestServerEndsAbuse(t *testing.T) {
	bubble(t, speedtest.Limits{MaxTime: time.Second}, func(n *memnet.Network) {
		s := openRaw(t, n.Node("a"))
		if g := readControl(t, s); g != `{"v":1,"max_bytes":1024,"max_ms":1000}` {
			t.Fatalf("grant %s", g)
		}
		frame := append(binary.AppendUvarint(nil, 1000), make([]byte, 1000)...)
		_, _ = s.Write(frame)
		_, _ = s.Write(frame) // 2000 > 1024
		if _, err := io.ReadAll(s); !errors.Is(err, memnet.ErrReset) {
			t.Fatalf("after too much data: %v", err)
		}

		stalled := openRaw(t, n.Node("c"))
		readControl(t, stalled)
		start := time.Now()
		if _, err := io.ReadAll(stalled); !errors.Is(err, memnet.ErrReset) {
			t.Fatalf("a stalled test: %v", err)
		}
		if waited := time.Since(start); waited < time.Second || waited > 7*time.Second {
			t.Fatalf("a stalled test was ended after %v, want its time limit and the grace period", waited)
		}
		if _, err := speedtest.Run(context.Background(), n.Node("a"), "b", speedtest.Limits{MaxBytes: 1024}); err != nil {
			t.Fatalf("a good test afterwards: %v", err)
		}
	})
}
