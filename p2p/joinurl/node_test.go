package joinurl

import (
	"strings"
	"testing"
)

func TestNodeRoundTrip(t *testing.T) {
	for name, n := range map[string]Node{
		"typical": {ID: idA, Name: "Ann's laptop", Addrs: []string{
			"/ip4/192.168.1.5/tcp/7777/p2p/" + idA,
			"/ip6/2001:db8::5/tcp/7777/p2p/" + idA,
			"/ip4/198.51.100.7/tcp/4001/p2p/" + idB + "/p2p-circuit/p2p/" + idA,
		}},
		"bare": {ID: idB},
	} {
		if err := n.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", name, err)
		}
		u := n.URL()
		if !strings.HasPrefix(u, "meshhold://node/v1?id="+n.ID) || strings.Count(u, "/p2p/"+n.ID) != 0 {
			t.Errorf("%s: URL %q: want meshhold://node/v1?id=… without /p2p/<id> suffixes", name, u)
		}
		got, err := ParseNode(" " + u + "\n")
		if err != nil {
			t.Errorf("%s: ParseNode(%q): %v", name, u, err)
			continue
		}
		if got.ID != n.ID || got.Name != n.Name || strings.Join(got.Addrs, ",") != strings.Join(n.Addrs, ",") {
			t.Errorf("%s: round trip gave %+v, want %+v", name, got, n)
		}
		if n.String() != u {
			t.Errorf("%s: String %q is not the URL", name, n.String())
		}
	}
}

func TestNodeURLLayout(t *testing.T) {
	n := Node{ID: idA, Name: "nas", Addrs: []string{"/ip4/192.168.1.5/tcp/7777/p2p/" + idA, "/ip6/fd00::5/tcp/7777"}}
	want := "meshhold://node/v1?id=" + idA + "&name=nas&addr=/ip4/192.168.1.5/tcp/7777&addr=/ip6/fd00::5/tcp/7777"
	if got := n.URL(); got != want {
		t.Errorf("URL\n got %s\nwant %s", got, want)
	}
	got, err := ParseNode(want)
	if err != nil {
		t.Fatal(err)
	}
	if got.Addrs[1] != "/ip6/fd00::5/tcp/7777/p2p/"+idA {
		t.Errorf("address without /p2p/ came back as %q", got.Addrs[1])
	}
}

func TestParseNodeErrors(t *testing.T) {
	good := "meshhold://node/v1?id=" + idA
	for name, c := range map[string]struct {
		in    string
		parts []string
	}{
		"join URL":       {"meshhold://join/v1?psk=" + hexKey, []string{"join URL", "not a node URL"}},
		"missing id":     {"meshhold://node/v1?name=x", []string{"missing id"}},
		"bad id":         {"meshhold://node/v1?id=bogus", []string{`id "bogus" is not a peer id`}},
		"two ids":        {good + "&id=" + idB, []string{"id is given 2 times"}},
		"bad name":       {good + "&name=%07", []string{"control character"}},
		"bad multiaddr":  {good + "&addr=/ip4/10.0.0.1/tcp/1&addr=/tcp/x", []string{"addr[1]", "not a multiaddr"}},
		"foreign /p2p/":  {good + "&addr=/ip4/10.0.0.1/tcp/1/p2p/" + idB, []string{"addr[0]", "ends in /p2p/" + idB, "node's id is " + idA}},
		"unspecified":    {good + "&addr=/ip4/0.0.0.0/tcp/1", []string{"addr[0]", "unspecified"}},
		"only /p2p/":     {good + "&addr=/p2p/" + idA, []string{"addr[0]", "no address before /p2p/"}},
		"wrong version":  {"meshhold://node/v0?id=" + idA, []string{`unsupported version "v0"`}},
		"wrong scheme":   {"http://node/v1?id=" + idA, []string{`scheme is "http"`}},
		"unknown kind 2": {"meshhold://nodes/v1?id=" + idA, []string{`unknown kind "nodes"`}},
	} {
		_, err := ParseNode(c.in)
		wantInvalid(t, name, err, c.parts...)
	}
	wantInvalid(t, "Validate foreign", Node{ID: idA, Addrs: []string{"/ip4/10.0.0.1/tcp/1/p2p/" + idB}}.Validate(), "addr[0]")
	wantInvalid(t, "Validate no id", Node{Addrs: []string{"/ip4/10.0.0.1/tcp/1"}}.Validate(), "missing id")
}

func TestPeerAddrs(t *testing.T) {
	j := Join{Key: testKey(t), Peers: []string{"/ip4/10.0.0.1/tcp/1/p2p/" + idB}}
	n := Node{ID: idA, Addrs: []string{"/ip4/10.0.0.2/tcp/1"}}
	if got, err := PeerAddrs(j.URL()); err != nil || len(got) != 1 || got[0] != j.Peers[0] {
		t.Errorf("join: %v, %v", got, err)
	}
	if got, err := PeerAddrs(n.URL()); err != nil || len(got) != 1 || got[0] != "/ip4/10.0.0.2/tcp/1/p2p/"+idA {
		t.Errorf("node: %v, %v", got, err)
	}
	_, err := PeerAddrs("meshhold://join/v1?psk=12")
	wantInvalid(t, "bad join", err, "psk")
	_, err = PeerAddrs("https://x")
	wantInvalid(t, "bad scheme", err, "scheme")
}
