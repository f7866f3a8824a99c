package joinurl

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/meshhold/meshhold/p2p/localaddr"
)

// ReachableAddrs turns listen multiaddrs into addresses other nodes can dial: /ip4/0.0.0.0 and
// /ip6/:: become every address of an up interface of that family (IPv6 link-local left out),
// loopback addresses are kept only when nothing else remains, /p2p/<self> is appended, and the
// result is deduplicated and sorted, IPv4 first. Unparseable listen addresses are skipped; an
// invalid self gives nil.
func ReachableAddrs(listen []string, self peer.ID) []string {
	return reachable(listen, self, localaddr.InterfaceIPs())
}

// reachable is ReachableAddrs with the interface addresses given.
func reachable(listen []string, self peer.ID, ifaces []netip.Addr) []string {
	if self.Validate() != nil {
		return nil
	}
	var public, loopback []candidate
	for _, s := range listen {
		m, err := ma.NewMultiaddr(strings.TrimSpace(s))
		if err != nil {
			continue
		}
		if rest, last := ma.SplitLast(m); last != nil && last.Code() == ma.P_P2P {
			m = rest
		}
		for _, c := range expand(m, ifaces) {
			addr, err := withPeer(c.addr, self)
			if err != nil {
				continue
			}
			c.text = addr
			if c.ip.IsValid() && c.ip.IsLoopback() {
				loopback = append(loopback, c)
			} else {
				public = append(public, c)
			}
		}
	}
	if len(public) == 0 {
		public = loopback
	}
	return sortUnique(public)
}

// candidate is one reachable address with its IP (invalid for /dns… and others) for sorting.
type candidate struct {
	addr ma.Multiaddr
	ip   netip.Addr
	text string
}

// expand replaces an unspecified IP in m's first component with each interface IP of its family.
func expand(m ma.Multiaddr, ifaces []netip.Addr) []candidate {
	if len(m) == 0 {
		return nil
	}
	first := m[0]
	code := first.Code()
	if code != ma.P_IP4 && code != ma.P_IP6 {
		return []candidate{{addr: m}}
	}
	ip, err := netip.ParseAddr(first.Value())
	if err != nil {
		return nil
	}
	if !ip.IsUnspecified() {
		return []candidate{{addr: m, ip: ip}}
	}
	var out []candidate
	for _, a := range ifaces {
		if (code == ma.P_IP4) != a.Is4() || (a.Is6() && a.IsLinkLocalUnicast()) || a.IsUnspecified() {
			continue
		}
		c, err := ma.NewComponent(first.Protocol().Name, a.WithZone("").String())
		if err != nil {
			continue
		}
		out = append(out, candidate{addr: append(ma.Multiaddr{*c}, m[1:]...), ip: a})
	}
	return out
}

// sortUnique orders IPv4 first, then IPv6, then other addresses; by IP, then by text.
func sortUnique(cs []candidate) []string {
	rank := func(c candidate) int {
		switch {
		case c.ip.Is4():
			return 0
		case c.ip.Is6():
			return 1
		}
		return 2
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if d := a.ip.Compare(b.ip); d != 0 {
			return d < 0
		}
		return a.text < b.text
	})
	var out []string
	for _, c := range cs {
		if len(out) == 0 || out[len(out)-1] != c.text {
			out = append(out, c.text)
		}
	}
	return out
}
