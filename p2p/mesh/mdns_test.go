package mesh

import (
	"testing"
	"time"
)

// TestMDNS: two nodes with mDNS and no bootstrap find each other on the LAN; a node of another
// network advertises another service name and is not found. Skipped where multicast does not
// work (some containers).
func TestMDNS(t *testing.T) {
	wildcard := []string{"/ip4/0.0.0.0/tcp/0"}
	a := start(t, Config{MDNS: true, ListenAddrs: wildcard})
	b := start(t, Config{MDNS: true, ListenAddrs: wildcard})
	other := start(t, Config{MDNS: true, ListenAddrs: wildcard, PSK: otherPSK})
	if a.mdns == nil {
		t.Skip("mDNS did not start here")
	}
	deadline := time.Now().Add(4 * time.Second)
	for !connectedTo(a, b.Self()) {
		if time.Now().After(deadline) {
			t.Skip("mDNS found nothing in 4 s: no multicast here?")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(other.Peers()) != 0 {
		t.Errorf("a node of another network connected: %v", other.Peers())
	}
	if mdnsService(testPSK) == mdnsService(otherPSK) || len(mdnsService(testPSK)) != len("_mh-0123456789._udp") {
		t.Errorf("service names %s %s", mdnsService(testPSK), mdnsService(otherPSK))
	}
}
