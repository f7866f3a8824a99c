package mesh

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// TestMeshStreamsPeersRTTTraffic: two nodes, one bootstrapping from the other, echo a stream,
// see each other's connect and disconnect once, measure an RTT and count a 1 MiB transfer.
func TestMeshStreamsPeersRTTTraffic(t *testing.T) {
	a := start(t, Config{})
	var mu sync.Mutex
	var events []p2p.PeerEvent
	cancelWatch := a.WatchPeers(func(e p2p.PeerEvent) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	})
	defer cancelWatch()
	a.SetStreamHandler("/test/echo/1.0", func(s p2p.Stream) {
		defer s.Close()
		_, _ = io.Copy(s, s)
	})
	a.SetStreamHandler("/test/sink/1.0", func(s p2p.Stream) {
		defer s.Close()
		n, _ := io.Copy(io.Discard, s)
		_, _ = s.Write([]byte{byte(n >> 20)})
	})

	b := start(t, Config{Bootstrap: []string{loopbackAddr(t, a)}})
	eventually(t, 5*time.Second, "b connects to its bootstrap peer a", func() bool {
		return connectedTo(b, a.Self()) && connectedTo(a, b.Self())
	})
	if got := b.Peers(); !slices.Equal(got, []p2p.PeerID{a.Self()}) {
		t.Errorf("b.Peers() = %v, want [a]", got)
	}

	// Echo.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := b.OpenStream(ctx, a.Self(), "/test/echo/1.0")
	if err != nil {
		t.Fatal(err)
	}
	if s.Peer() != a.Self() || s.Protocol() != "/test/echo/1.0" {
		t.Errorf("stream peer/protocol = %s %s", s.Peer(), s.Protocol())
	}
	_ = s.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := s.Write([]byte("hello mesh")); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(s)
	if err != nil || string(got) != "hello mesh" {
		t.Fatalf("echo = %q, %v", got, err)
	}
	_ = s.Close()

	// An unserved protocol is refused.
	if _, err := b.OpenStream(ctx, a.Self(), "/test/nobody/1.0"); err == nil {
		t.Error("stream opened on a protocol a does not serve")
	}
	a.RemoveStreamHandler("/test/echo/1.0")
	// b may still believe a serves it (the negotiation is lazy): then the first read fails.
	if s, err := b.OpenStream(ctx, a.Self(), "/test/echo/1.0"); err == nil {
		_, _ = s.Write([]byte("x"))
		if _, err := s.Read(make([]byte, 1)); err == nil {
			t.Error("stream on a removed handler works")
		}
		_ = s.Reset()
	}

	// RTT.
	eventually(t, 5*time.Second, "an RTT to the peer", func() bool { return b.RTT(a.Self()) > 0 && a.RTT(b.Self()) > 0 })
	if b.RTT("not a peer id") != 0 {
		t.Error("RTT of a bad peer id is not 0")
	}

	// Traffic: 1 MiB from b to a.
	aIn0, _ := a.Traffic()
	_, bOut0 := b.Traffic()
	s, err = b.OpenStream(ctx, a.Self(), "/test/sink/1.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	_ = s.CloseWrite()
	if ack, err := io.ReadAll(s); err != nil || !bytes.Equal(ack, []byte{1}) {
		t.Fatalf("sink ack %v, %v", ack, err)
	}
	_ = s.Close()
	aIn, _ := a.Traffic()
	_, bOut := b.Traffic()
	if aIn-aIn0 < 1<<20 || bOut-bOut0 < 1<<20 {
		t.Errorf("traffic grew by in %d (a), out %d (b), want ≥ 1 MiB each", aIn-aIn0, bOut-bOut0)
	}

	// Disconnect: a sees b go, once.
	_ = b.Close()
	eventually(t, 5*time.Second, "a sees b disconnect", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(events) >= 2
	})
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	want := []p2p.PeerEvent{{Peer: b.Self(), Connected: true}, {Peer: b.Self(), Connected: false}}
	if !slices.Equal(events, want) {
		t.Errorf("a's peer events = %v, want %v", events, want)
	}
	mu.Unlock()
	if len(a.Peers()) != 0 {
		t.Errorf("a.Peers() = %v after b closed", a.Peers())
	}
}

func TestAddrsAndDial(t *testing.T) {
	a := start(t, Config{ListenAddrs: []string{"/ip4/0.0.0.0/tcp/0"}})
	addrs := a.Addrs()
	if len(addrs) == 0 {
		t.Fatal("no addresses")
	}
	for _, addr := range addrs {
		if !strings.HasSuffix(addr, "/p2p/"+string(a.Self())) || strings.Contains(addr, "0.0.0.0") {
			t.Errorf("address %s: want an interface address ending in /p2p/<self>", addr)
		}
	}
	b := start(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id, err := b.Dial(ctx, loopbackAddr(t, a))
	if err != nil || id != a.Self() {
		t.Fatalf("Dial = %s, %v", id, err)
	}
	if !connectedTo(b, a.Self()) {
		t.Error("not connected after Dial")
	}
	for _, bad := range []string{"", "/ip4/127.0.0.1/tcp/1", "nonsense", "/p2p/" + string(a.Self())} {
		if _, err := b.Dial(ctx, bad); !errors.Is(err, ErrBadAddr) {
			t.Errorf("Dial(%q) = %v, want ErrBadAddr", bad, err)
		}
	}
	if _, err := b.Dial(ctx, loopbackAddr(t, b)); err == nil {
		t.Error("Dial to self succeeded")
	}
}

// TestOtherSwarmKeyCannotConnect: a node on another swarm key cannot dial in, nor be dialled.
// The handshake fails on garbage: at once (reset) or, when the garbage reads as a long length
// prefix, at the dial's deadline.
func TestOtherSwarmKeyCannotConnect(t *testing.T) {
	a := start(t, Config{})
	d := start(t, Config{PSK: otherPSK})
	for _, c := range []struct {
		from, to *Mesh
	}{{d, a}, {a, d}} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		t0 := time.Now()
		_, err := c.from.Dial(ctx, loopbackAddr(t, c.to))
		cancel()
		if err == nil {
			t.Fatal("dial across swarm keys succeeded")
		}
		t.Logf("refused in %s: %v", time.Since(t0).Round(time.Millisecond), err)
	}
	time.Sleep(50 * time.Millisecond)
	if len(a.Peers()) != 0 || len(d.Peers()) != 0 {
		t.Errorf("peers across swarm keys: a %v, d %v", a.Peers(), d.Peers())
	}
}

func TestOpenStreamUnknownPeerFailsFast(t *testing.T) {
	a := start(t, Config{})
	stranger := start(t, Config{})
	t0 := time.Now()
	_, err := a.OpenStream(context.Background(), stranger.Self(), "/test/echo/1.0")
	if !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("err = %v, want ErrUnknownPeer", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("took %s, want an immediate failure", d)
	}
	if _, err := a.OpenStream(context.Background(), "garbage", "/x"); err == nil {
		t.Error("open to a bad peer id succeeded")
	}
	if _, err := a.OpenStream(context.Background(), a.Self(), "/x"); err == nil {
		t.Error("open to self succeeded")
	}
}

func TestClosedMesh(t *testing.T) {
	a := start(t, Config{})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	if _, err := a.OpenStream(ctx, a.Self(), "/x"); !errors.Is(err, ErrClosed) {
		t.Errorf("OpenStream after Close: %v", err)
	}
	if _, err := a.Join("t"); !errors.Is(err, ErrClosed) {
		t.Errorf("Join after Close: %v", err)
	}
	if _, err := a.Dial(ctx, "/ip4/127.0.0.1/tcp/1/p2p/"+string(a.Self())); !errors.Is(err, ErrClosed) {
		t.Errorf("Dial after Close: %v", err)
	}
	if err := a.SetBootstrap(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("SetBootstrap after Close: %v", err)
	}
	a.WatchPeers(func(p2p.PeerEvent) {})()
}
