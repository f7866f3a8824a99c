package natsbus_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/natsbus"
)

const hubLeafToken = "hub-leaf-token-0123456789"

// startHub starts a plain nats-server with a leaf node listener that wants hubLeafToken.
func startHub(t *testing.T) (*server.Server, string) {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true,
		LeafNode: server.LeafNodeOpts{Host: "127.0.0.1", Port: server.RANDOM_PORT, Username: hubLeafToken}}
	hub, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	hub.Start()
	t.Cleanup(hub.Shutdown)
	if !hub.ReadyForConnections(5 * time.Second) {
		t.Fatal("hub not ready")
	}
	return hub, fmt.Sprintf("nats://127.0.0.1:%d", opts.LeafNode.Port)
}

// hubInbox collects what a plain client on the hub receives.
type hubInbox struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (h *hubInbox) add(m *nats.Msg) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen[string(m.Data)] = true
}

func (h *hubInbox) has(p string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen[p]
}

func TestLeafRemotesExportOnly(t *testing.T) {
	hub, leafURL := startHub(t)
	remote := []natsbus.LeafRemote{{URL: leafURL, Token: hubLeafToken}}
	a := startBus(t, natsbus.Config{LeafRemotes: remote})
	b := startBus(t, natsbus.Config{LeafRemotes: remote, Conn: natsbus.ConnInProcess})
	waitFor(t, "both leaves connected", func() bool { return hub.NumLeafNodes() == 2 })

	hc, err := nats.Connect(hub.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.Close)
	onHub := &hubInbox{seen: map[string]bool{}}
	if _, err := hc.Subscribe(bus.AllEvents, onHub.add); err != nil {
		t.Fatal(err)
	}
	if err := hc.Flush(); err != nil {
		t.Fatal(err)
	}
	onA := subscribe(t, a, bus.AllEvents)
	onAOther := subscribe(t, a, "hub.>")
	onB := subscribe(t, b, bus.AllEvents)

	// Both daemons' events reach the hub once the hub's interest has propagated to the leaves.
	for i, d := range []*natsbus.Bus{a, b} {
		name := string(rune('a' + i))
		var n int
		waitFor(t, "daemon "+name+" event on the hub", func() bool {
			n++
			publish(t, d, bus.EventSubject("probe", "daemon/"+name), fmt.Sprintf("%s-%d", name, n))
			return onHub.has(fmt.Sprintf("%s-%d", name, n-1)) || onHub.has(fmt.Sprintf("%s-%d", name, n))
		})
	}

	// Messages published on the hub: events and anything else.
	if err := hc.Publish(bus.EventSubject("forged", "daemon/hub"), []byte("from-hub")); err != nil {
		t.Fatal(err)
	}
	if err := hc.Publish("hub.note", []byte("from-hub")); err != nil {
		t.Fatal(err)
	}
	if err := hc.Flush(); err != nil {
		t.Fatal(err)
	}
	// Final markers: each daemon sees its own, the hub sees both; anything crossing over
	// would have travelled the same short path by then. A brief grace covers the rest.
	publish(t, a, bus.EventSubject("final", "daemon/a"), "a-final")
	publish(t, b, bus.EventSubject("final", "daemon/b"), "b-final")
	waitFor(t, "final markers", func() bool {
		return onHub.has("a-final") && onHub.has("b-final") && onA.has("a-final") && onB.has("b-final")
	})
	time.Sleep(50 * time.Millisecond)

	for _, p := range onA.payloads() {
		if !strings.HasPrefix(p, "a-") {
			t.Errorf("daemon a received %q", p)
		}
	}
	for _, p := range onB.payloads() {
		if !strings.HasPrefix(p, "b-") {
			t.Errorf("daemon b received %q", p)
		}
	}
	if got := onAOther.payloads(); len(got) != 0 {
		t.Errorf("daemon a received hub messages %q", got)
	}

	// The hub holds no interest from either leaf, so nothing is even sent their way.
	lz, err := hub.Leafz(&server.LeafzOptions{Subscriptions: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lz.Leafs {
		for _, s := range l.Subs {
			if !strings.HasPrefix(s, "$") {
				t.Errorf("leaf %s announced interest in %q", l.Name, s)
			}
		}
	}
}
