package mesh

import (
	"context"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// TestCloseStopsGoroutines: after two meshes connect, stream, gossip and close, the goroutine
// count comes back to where it was (go.uber.org/goleak is not a dependency of the module).
func TestCloseStopsGoroutines(t *testing.T) {
	// Process-wide goroutines (the bandwidth meters' sweeper) start with the first traffic.
	warm := start(t, Config{})
	warm2 := start(t, Config{Bootstrap: []string{loopbackAddr(t, warm)}})
	eventually(t, 5*time.Second, "warm-up connection", func() bool { return connectedTo(warm, warm2.Self()) })
	_ = warm2.Close()
	_ = warm.Close()
	settle()
	before := runtime.NumGoroutine()

	a, err := Start(testConfig(t, Config{PingInterval: 50 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Start(testConfig(t, Config{Bootstrap: []string{loopbackAddr(t, a)}, MDNS: true}))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "b connects to a", func() bool { return connectedTo(a, b.Self()) })
	a.SetStreamHandler("/test/echo/1.0", func(s p2p.Stream) {
		defer s.Close()
		_, _ = io.Copy(s, s)
	})
	s, err := b.OpenStream(context.Background(), a.Self(), "/test/echo/1.0")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = s.Write([]byte("x"))
	// left open: Close must still end the handler (the connection resets it)
	ta, _ := a.Join("leak")
	tb, _ := b.Join("leak")
	_, _ = ta.Subscribe(func(p2p.Message) {})
	_, _ = tb.Subscribe(func(p2p.Message) {})
	a.WatchPeers(func(p2p.PeerEvent) {})
	time.Sleep(200 * time.Millisecond)
	_ = b.Close()
	_ = a.Close()

	var after int
	eventually(t, 5*time.Second, "goroutines end after Close", func() bool {
		after = runtime.NumGoroutine()
		return after <= before
	})
	t.Logf("goroutines: %d before, %d after", before, after)
}

func settle() {
	deadline := time.Now().Add(2 * time.Second)
	n := runtime.NumGoroutine()
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			return
		}
		n = m
	}
}
