package nodes

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// selfView is this node as the directory shows it: always online, its peers the connections
// open now with the RTTs its last UpdateSelf measured.
func (c *core) selfView(now time.Time) messages.NodeView {
	info := c.self
	info.NodeID = c.cfg.Self
	info.Peers = nil
	for _, id := range sortedKeys(c.nodes) {
		if c.nodes[id].connected {
			info.Peers = append(info.Peers, messages.PeerLink{NodeID: id, RTTMs: c.selfRTT[id]})
		}
	}
	v := messages.NodeView{NodeInfo: normalized(info), Self: true, Online: true, LastSeenMs: now.UnixMilli(), Via: messages.ViaSelf}
	if info.StartedMs > 0 {
		v.FirstSeenMs = info.StartedMs
		v.UptimeMs = max(0, now.UnixMilli()-info.StartedMs)
	}
	return v
}

// view is another node as the directory shows it; an offline node's peers are left out.
func (c *core) view(e *entry, now time.Time) messages.NodeView {
	v := messages.NodeView{NodeInfo: e.info, Connected: e.connected, Online: c.online(e, now),
		LastSeenMs: e.lastSeen, FirstSeenMs: e.firstSeen, Via: e.via}
	if !v.Online {
		v.Peers = nil
	}
	if v.Online && v.StartedMs > 0 {
		v.UptimeMs = max(0, now.UnixMilli()-v.StartedMs)
	}
	v.NodeInfo = normalized(v.NodeInfo)
	return v
}

// list is this node, then online nodes, then the rest, each by display name (nameless last)
// and node id.
func (c *core) list(now time.Time, onlineOnly bool) []messages.NodeView {
	out := make([]messages.NodeView, 0, len(c.nodes)+1)
	out = append(out, c.selfView(now))
	for _, id := range sortedKeys(c.nodes) {
		if v := c.view(c.nodes[id], now); v.Online || !onlineOnly {
			out = append(out, v)
		}
	}
	slices.SortStableFunc(out[1:], func(a, b messages.NodeView) int {
		if a.Online != b.Online {
			if a.Online {
				return -1
			}
			return 1
		}
		if (a.DisplayName == "") != (b.DisplayName == "") { // nameless ones (not introduced yet) last
			return cmp.Compare(a.DisplayName, b.DisplayName) * -1
		}
		return cmp.Or(strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)), strings.Compare(a.NodeID, b.NodeID))
	})
	return out
}

func (c *core) topology(now time.Time) messages.Topology {
	views := c.list(now, false)
	t := messages.Topology{Nodes: make([]messages.TopologyNode, len(views)), Edges: c.computeEdges(now)}
	for i, v := range views {
		t.Nodes[i] = messages.TopologyNode{NodeID: v.NodeID, DisplayName: v.DisplayName, Self: v.Self,
			Online: v.Online, UptimeMs: v.UptimeMs, LastSeenMs: v.LastSeenMs}
	}
	if t.Edges == nil {
		t.Edges = []messages.Edge{}
	}
	return t
}

// computeEdges adds up the connections between online nodes: this node's own connections as
// they are now (with the RTTs it measured, else the peer's), and the links other online nodes
// reported to online nodes. A link either end reports counts; its RTT is the mean of the
// non-zero reports. Sorted by (a, b).
func (c *core) computeEdges(now time.Time) []messages.Edge {
	type acc struct {
		sum float64
		n   int
	}
	edges := map[[2]string]*acc{}
	report := func(a, b string, rtt float64) {
		k := pairOf(a, b)
		e := edges[k]
		if e == nil {
			e = &acc{}
			edges[k] = e
		}
		if rtt > 0 {
			e.sum += rtt
			e.n++
		}
	}
	online := map[string]bool{c.cfg.Self: true}
	ids := sortedKeys(c.nodes)
	for _, id := range ids {
		online[id] = c.online(c.nodes[id], now)
	}
	for _, id := range ids {
		if !c.nodes[id].connected {
			continue
		}
		rtt := c.selfRTT[id]
		if rtt == 0 {
			rtt = reportedRTT(c.nodes[id].info.Peers, c.cfg.Self)
		}
		report(c.cfg.Self, id, rtt)
	}
	for _, id := range ids {
		if !online[id] || id == c.cfg.Self {
			continue
		}
		for _, l := range c.nodes[id].info.Peers {
			if l.NodeID != c.cfg.Self && l.NodeID != id && online[l.NodeID] {
				report(id, l.NodeID, l.RTTMs)
			}
		}
	}
	out := make([]messages.Edge, 0, len(edges))
	for _, k := range sortedPairs(edges) {
		e := messages.Edge{A: k[0], B: k[1]}
		if a := edges[k]; a.n > 0 {
			e.RTTMs = a.sum / float64(a.n)
		}
		out = append(out, e)
	}
	return out
}

func reportedRTT(links []messages.PeerLink, id string) float64 {
	for _, l := range links {
		if l.NodeID == id {
			return l.RTTMs
		}
	}
	return 0
}

func pairOf(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func sortedPairs[V any](m map[[2]string]V) [][2]string {
	return slices.SortedFunc(maps.Keys(m), func(x, y [2]string) int {
		return cmp.Or(strings.Compare(x[0], y[0]), strings.Compare(x[1], y[1]))
	})
}

// normalized gives every list of info a non-nil value, so JSON shows [] rather than null.
func normalized(n messages.NodeInfo) messages.NodeInfo {
	for _, s := range []*[]string{&n.Caps, &n.Vaults, &n.ListenAddrs} {
		if *s == nil {
			*s = []string{}
		}
	}
	if n.Peers == nil {
		n.Peers = []messages.PeerLink{}
	}
	return n
}

// recordSpeed puts a result first in its peer's history, keeping the last MaxSpeedHistory.
func (c *core) recordSpeed(now time.Time, r messages.SpeedResult, v persist.View) host.Output {
	if r.PeerID == "" || len(r.PeerID) > messages.MaxNodeID {
		return host.Output{Reply: messages.Invalid("peer_id", "is not a peer id")}
	}
	if r.AtMs == 0 {
		r.AtMs = now.UnixMilli()
	}
	hist := c.readSpeed(v, r.PeerID)
	hist = append([]messages.SpeedResult{r}, hist...)
	if len(hist) > messages.MaxSpeedHistory {
		hist = hist[:messages.MaxSpeedHistory]
	}
	return host.Output{Writes: []persist.Write{c.putSpeed(r.PeerID, hist)}, Reply: messages.Ack{}}
}

func (c *core) speedHistory(peer string, v persist.View) any {
	hist := c.readSpeed(v, peer)
	if hist == nil && c.nodes[peer] == nil && peer != c.cfg.Self {
		return messages.NotFound("node")
	}
	if hist == nil {
		hist = []messages.SpeedResult{}
	}
	return messages.SpeedHistoryList{PeerID: peer, Results: hist}
}
