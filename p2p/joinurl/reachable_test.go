package joinurl

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

func ips(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestReachableExpands(t *testing.T) {
	self := mustDecode(t, idA)
	p := "/p2p/" + idA
	ifaces := ips("127.0.0.1", "::1", "192.168.1.5", "10.0.0.2", "fe80::1", "2001:db8::5", "fd00::7")
	got := reachable([]string{
		"/ip6/::/tcp/7777",
		"/ip4/0.0.0.0/tcp/7777",
		"/ip4/0.0.0.0/tcp/7777", // duplicate
		"/ip4/0.0.0.0/tcp/7778/ws/p2p/" + idA,
		"/ip4/203.0.113.9/tcp/7777", // specific: kept
		"/dns4/nas.example.org/tcp/443/wss",
		"/ip4/127.0.0.1/tcp/9999", // loopback: dropped, others exist
		"not a multiaddr",
	}, self, ifaces)
	want := []string{
		"/ip4/10.0.0.2/tcp/7777" + p,
		"/ip4/10.0.0.2/tcp/7778/ws" + p,
		"/ip4/192.168.1.5/tcp/7777" + p,
		"/ip4/192.168.1.5/tcp/7778/ws" + p,
		"/ip4/203.0.113.9/tcp/7777" + p,
		"/ip6/2001:db8::5/tcp/7777" + p,
		"/ip6/fd00::7/tcp/7777" + p,
		"/dns4/nas.example.org/tcp/443/wss" + p,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReachableLoopbackOnlyWhenAlone(t *testing.T) {
	self := mustDecode(t, idA)
	got := reachable([]string{"/ip4/0.0.0.0/tcp/1", "/ip6/::/tcp/1"}, self, ips("127.0.0.1", "::1", "fe80::1"))
	want := []string{"/ip4/127.0.0.1/tcp/1/p2p/" + idA, "/ip6/::1/tcp/1/p2p/" + idA}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := reachable([]string{"/ip4/0.0.0.0/tcp/1"}, "", ips("10.0.0.1")); got != nil {
		t.Errorf("invalid self gave %q, want nil", got)
	}
}

// TestReachableHost can only check the shape on this machine.
func TestReachableHost(t *testing.T) {
	self := mustDecode(t, idA)
	got := ReachableAddrs([]string{"/ip4/0.0.0.0/tcp/7777", "/ip6/::/tcp/7777"}, self)
	if len(got) == 0 {
		t.Fatal("no addresses at all; loopback should remain")
	}
	t.Logf("reachable: %q", got)
	seen6 := false
	for i, a := range got {
		m, err := ma.NewMultiaddr(a)
		if err != nil {
			t.Errorf("%q: %v", a, err)
			continue
		}
		if !strings.HasSuffix(a, "/p2p/"+idA) {
			t.Errorf("%q does not end in /p2p/<self>", a)
		}
		if err := checkTransport(m[:len(m)-1]); err != nil {
			t.Errorf("%q: %v", a, err)
		}
		if i > 0 && got[i-1] == a {
			t.Errorf("duplicate %q", a)
		}
		if strings.HasPrefix(a, "/ip6/") {
			seen6 = true
		} else if seen6 && strings.HasPrefix(a, "/ip4/") {
			t.Errorf("IPv4 %q after IPv6", a)
		}
		if _, err := ParseNode(Node{ID: idA, Addrs: []string{a}}.URL()); err != nil {
			t.Errorf("%q does not survive a node URL: %v", a, err)
		}
	}
}

func mustDecode(t *testing.T, s string) peer.ID {
	t.Helper()
	id, err := peer.Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
