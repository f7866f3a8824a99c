package hello

import (
	"math"
	"slices"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
)

// SelfInfo completes base, this node's info as the daemon knows it (display name, version,
// caps, reliable, vaults, country, started_at_ms), with what t knows: the node id, the listen
// addresses and the connected peers with their RTTs. Lists are sorted and cut to the limits of
// messages.NodeInfo, so the result passes Check when base's own fields do.
func SelfInfo(t p2p.Transport, base messages.NodeInfo) messages.NodeInfo {
	info := base
	info.NodeID = string(t.Self())
	info.Caps = sortedCut(base.Caps, messages.MaxNodeCaps)
	info.Vaults = sortedCut(base.Vaults, messages.MaxNodeVaults)
	var addrs []string
	for _, a := range t.Addrs() {
		if a != "" && len(a) <= messages.MaxNodeAddr {
			addrs = append(addrs, a)
		}
	}
	info.ListenAddrs = sortedCut(addrs, messages.MaxNodeAddrs)
	peers := t.Peers()
	slices.Sort(peers)
	info.Peers = make([]messages.PeerLink, 0, min(len(peers), messages.MaxNodePeers))
	for _, p := range peers[:min(len(peers), messages.MaxNodePeers)] {
		info.Peers = append(info.Peers, messages.PeerLink{NodeID: string(p), RTTMs: Millis(t.RTT(p).Seconds())})
	}
	return info
}

// Millis converts seconds to milliseconds rounded to the microsecond.
func Millis(seconds float64) float64 { return math.Round(seconds*1e6) / 1e3 }

func sortedCut(in []string, max int) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > max {
		out = out[:max]
	}
	if out == nil {
		out = []string{}
	}
	return out
}
