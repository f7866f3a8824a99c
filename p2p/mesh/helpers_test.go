package mesh

import (
	"bytes"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/meshhold/meshhold/p2p"
)

// Two swarm keys: the network's and another one.
var (
	testPSK  = bytes.Repeat([]byte{0x42}, 32)
	otherPSK = bytes.Repeat([]byte{0x17}, 32)
)

const loopback = "/ip4/127.0.0.1/tcp/0"

// testLogger discards logs unless MESH_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("MESH_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newKey(t testing.TB) crypto.PrivKey {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testConfig is a config on loopback with fast backoff; fields of over win.
func testConfig(t testing.TB, over Config) Config {
	c := over
	if c.PrivKey == nil {
		c.PrivKey = newKey(t)
	}
	if c.PSK == nil {
		c.PSK = testPSK
	}
	if c.ListenAddrs == nil {
		c.ListenAddrs = []string{loopback}
	}
	if c.BackoffMin == 0 {
		c.BackoffMin, c.BackoffMax = 50*time.Millisecond, 400*time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = testLogger()
	}
	return c
}

// start starts a mesh closed at the end of the test.
func start(t testing.TB, over Config) *Mesh {
	t.Helper()
	m, err := Start(testConfig(t, over))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// loopbackAddr is m's 127.0.0.1 address.
func loopbackAddr(t testing.TB, m *Mesh) string {
	t.Helper()
	for _, a := range m.Addrs() {
		if bytes.HasPrefix([]byte(a), []byte("/ip4/127.0.0.1/tcp/")) {
			return a
		}
	}
	t.Fatalf("no loopback address in %v", m.Addrs())
	return ""
}

// eventually polls cond every 10 ms until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// connectedTo reports whether m has a connection to peer.
func connectedTo(m *Mesh, peer p2p.PeerID) bool {
	for _, p := range m.Peers() {
		if p == peer {
			return true
		}
	}
	return false
}

// newBufLogger logs text to w, at info level (the start and stop lines).
func newBufLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(&lockedWriter{w: w}, nil))
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
