package memnet_test

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
)

// A node dials another by the address it advertises; the link then reports its RTT and both
// ends count the gossip bytes.
func TestDialByAddressRTTAndTraffic(t *testing.T) { synctest.Test(t, dialRTTTraffic) }

func dialRTTTraffic(t *testing.T) {
	n := memnet.New(1, memnet.Config{Faults: memnet.Faults{Delay: 5 * time.Millisecond}})
	a, b := n.Node("a"), n.Node("b")
	if _, err := a.Dial(context.Background(), "/memnet/b"); err == nil {
		t.Fatal("an address without /p2p/ was dialled")
	}
	if got, err := a.Dial(context.Background(), b.Addrs()[0]); err != nil || got != "b" {
		t.Fatalf("Dial = %q, %v", got, err)
	}
	drive(n, time.Second)
	if !slices.Equal(a.Peers(), []p2p.PeerID{"b"}) {
		t.Fatalf("a's peers: %v", a.Peers())
	}
	if rtt := a.RTT("b"); rtt != 10*time.Millisecond {
		t.Fatalf("RTT = %s, want 10ms", rtt)
	}
	_, box := join(t, b, "t")
	ta, _ := join(t, a, "t")
	drive(n, time.Second)
	publish(t, ta, "hello")
	drive(n, time.Second)
	if len(box.data()) != 1 {
		t.Fatalf("b got %v", box.data())
	}
	if in, out := a.Traffic(); in != 0 || out != 5 {
		t.Fatalf("a's traffic in=%d out=%d, want 0 and 5", in, out)
	}
	if in, out := b.Traffic(); in != 5 || out != 0 {
		t.Fatalf("b's traffic in=%d out=%d, want 5 and 0", in, out)
	}
}
