// Package nodes is the node directory actor (entity nodes/self): every node this one has seen —
// itself, the peers it is connected to, the nodes it hears on the meshhold/hello topic and the
// ones others introduce in hello answers — with what each last said about itself, whether it is
// online, the mesh topology those reports add up to, and the speed tests run against peers.
//
// The core is pure: the mesh (p2p/hello) reports connections and node info as messages, and the
// host passes the time. Known nodes are kept as records, so the directory survives a restart;
// they show offline until they are seen again.
package nodes

import (
	"fmt"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// Defaults of Config.
const (
	// DefaultGossipInterval is p2p/hello's default re-gossip interval.
	DefaultGossipInterval = 30 * time.Second
	// DefaultPersistEvery bounds how stale a stored last_seen may get while a node stays online.
	DefaultPersistEvery = 5 * time.Minute
	// DefaultMaxNodes bounds the directory; the offline node seen longest ago makes room.
	DefaultMaxNodes = 1024
)

// expireKey is the timer that re-checks who is still online.
const expireKey = "expire"

// Config configures the directory of the node whose peer id is Self.
type Config struct {
	Self string
	// OnlineFor is how long a node heard from directly stays online without a connection:
	// three gossip intervals (default 3 × DefaultGossipInterval).
	OnlineFor time.Duration
	// PersistEvery: see DefaultPersistEvery.
	PersistEvery time.Duration
	// MaxNodes: see DefaultMaxNodes.
	MaxNodes int
}

func (c Config) withDefaults() Config {
	if c.OnlineFor <= 0 {
		c.OnlineFor = 3 * DefaultGossipInterval
	}
	if c.PersistEvery <= 0 {
		c.PersistEvery = DefaultPersistEvery
	}
	if c.MaxNodes <= 0 {
		c.MaxNodes = DefaultMaxNodes
	}
	return c
}

// entry is one other node of the directory.
type entry struct {
	info      messages.NodeInfo // Peers: its latest report, kept in memory only
	known     bool              // info came from the node or a relay; false: only connected so far
	via       string
	firstSeen int64     // ms
	lastSeen  int64     // ms: last connected or heard from directly
	stored    int64     // lastSeen as last written
	heard     time.Time // last hello or gossip from it in this incarnation; zero after a load
	connected bool
}

// core holds the directory in memory (it is bounded by Config.MaxNodes) and each known node
// as a record; speed test histories are read from their records when asked for.
type core struct {
	cfg     Config
	prefix  string // "nodes/self/"
	self    messages.NodeInfo
	selfSet bool
	selfRTT map[string]float64
	nodes   map[string]*entry
	edges   map[[2]string]bool // the edge set last reported in topology_changed
	armed   time.Time          // when the expire timer fires; zero: not armed
}

func (c *core) Step(now time.Time, msg any, v persist.View) host.Output {
	var out host.Output
	switch m := msg.(type) {
	case host.Recovered:
	case host.Wake:
		c.armed = time.Time{}
	case messages.NodeSeen:
		out = c.seen(now, m)
	case messages.PeerConnected:
		out = c.connected(now, m.NodeID)
	case messages.PeerDisconnected:
		out = c.disconnected(now, m.NodeID)
	case messages.UpdateSelf:
		out = c.updateSelf(m.Info)
	case messages.RecordSpeedtest:
		return c.recordSpeed(now, m.Result, v)
	case messages.ListNodes:
		return host.Output{Reply: messages.NodeList{Nodes: c.list(now, m.OnlineOnly)}}
	case messages.GetSelf:
		return host.Output{Reply: c.selfView(now)}
	case messages.GetNode:
		if m.NodeID == c.cfg.Self {
			return host.Output{Reply: c.selfView(now)}
		}
		if e := c.nodes[m.NodeID]; e != nil {
			return host.Output{Reply: c.view(e, now)}
		}
		return host.Output{Reply: messages.NotFound("node")}
	case messages.GetTopology:
		return host.Output{Reply: c.topology(now)}
	case messages.SpeedHistory:
		return host.Output{Reply: c.speedHistory(m.Peer, v)}
	default:
		return host.Output{Reply: fmt.Errorf("nodes: unknown command %T", msg)}
	}
	c.finish(now, &out)
	return out
}

// seen takes a node's info: from the node itself (hello, gossip) it is authoritative and
// proves the node alive; from a relay it only introduces a node not known yet.
func (c *core) seen(now time.Time, m messages.NodeSeen) host.Output {
	info := m.Info
	if err := info.Check(); err != nil {
		return host.Output{Reply: err}
	}
	if info.NodeID == c.cfg.Self {
		return host.Output{} // hearsay about this node; UpdateSelf is the only source
	}
	e := c.nodes[info.NodeID]
	isNew := e == nil || !e.known
	var out host.Output
	switch m.Via {
	case messages.ViaRelay:
		if !isNew {
			return host.Output{}
		}
		info.Peers = nil // another node's report of its links is stale by the time it is relayed
	case messages.ViaHello, messages.ViaGossip:
	default:
		return host.Output{Reply: fmt.Errorf("nodes: unknown via %q", m.Via)}
	}
	if e == nil {
		// A relayed node never pushes out one that was seen: it only fills free room.
		if e = c.admit(now, info.NodeID, m.Via != messages.ViaRelay, false, &out); e == nil {
			return out
		}
	}
	if !isNew && m.Via != messages.ViaRelay && info.StartedMs == e.info.StartedMs && info.Seq < e.info.Seq {
		e.heard, e.lastSeen = now, now.UnixMilli() // an older info, overtaken on another path: alive, nothing new
		return out
	}
	var fields []string
	if !isNew {
		fields = changedFields(e.info, info)
	}
	e.info, e.known, e.via = info, true, m.Via
	if m.Via != messages.ViaRelay {
		e.heard, e.lastSeen = now, now.UnixMilli()
	}
	if isNew || len(fields) > 0 {
		out.Events = append(out.Events, host.Event{Type: "node_updated", Data: messages.NodeUpdated{
			PeerID: info.NodeID, DisplayName: info.DisplayName, New: isNew, Fields: fields, Via: m.Via}})
	}
	if isNew || len(fields) > 0 || e.lastSeen-e.stored >= c.cfg.PersistEvery.Milliseconds() {
		out.Writes = append(out.Writes, c.put(e))
	}
	return out
}

func (c *core) connected(now time.Time, id string) host.Output {
	if id == "" || len(id) > messages.MaxNodeID || id == c.cfg.Self {
		return host.Output{}
	}
	var out host.Output
	e := c.nodes[id]
	if e == nil {
		if e = c.admit(now, id, true, true, &out); e == nil {
			return out
		}
	}
	if e.connected {
		return out
	}
	e.connected, e.lastSeen = true, now.UnixMilli()
	out.Events = append(out.Events, host.Event{Type: "peer_connected", Data: messages.PeerChanged{PeerID: id, DisplayName: e.info.DisplayName}})
	if e.known {
		out.Writes = append(out.Writes, c.put(e))
	}
	return out
}

func (c *core) disconnected(now time.Time, id string) host.Output {
	e := c.nodes[id]
	if e == nil || !e.connected {
		return host.Output{}
	}
	// What was heard before the connection dropped proves nothing now: the node is online
	// again once heard from after it (its gossip still reaches us through other peers).
	e.connected, e.lastSeen, e.heard = false, now.UnixMilli(), time.Time{}
	out := host.Output{Events: []host.Event{{Type: "peer_disconnected", Data: messages.PeerChanged{PeerID: id, DisplayName: e.info.DisplayName}}}}
	if e.known {
		out.Writes = append(out.Writes, c.put(e))
	} else {
		delete(c.nodes, id) // it never said who it is: nothing worth keeping
	}
	return out
}

// admit adds an entry for id, making room when evict allows (the offline node seen longest ago
// goes), or returns nil when the directory is full. force admits id even when no node can go
// (a connected peer is always listed; the connection manager bounds those).
func (c *core) admit(now time.Time, id string, evict, force bool, out *host.Output) *entry {
	if len(c.nodes) >= c.cfg.MaxNodes && evict {
		victim := ""
		for _, k := range sortedKeys(c.nodes) {
			e := c.nodes[k]
			if c.online(e, now) {
				continue
			}
			if victim == "" || e.lastSeen < c.nodes[victim].lastSeen {
				victim = k
			}
		}
		if victim != "" {
			delete(c.nodes, victim)
			out.Writes = append(out.Writes,
				persist.Write{Bucket: Bucket, Key: c.nodeKey(victim), Delete: true},
				persist.Write{Bucket: Bucket, Key: c.speedKey(victim), Delete: true})
		}
	}
	if len(c.nodes) >= c.cfg.MaxNodes && !force {
		return nil
	}
	e := &entry{info: messages.NodeInfo{NodeID: id}, firstSeen: now.UnixMilli()}
	c.nodes[id] = e
	return e
}

func (c *core) updateSelf(info messages.NodeInfo) host.Output {
	if info.NodeID != c.cfg.Self {
		return host.Output{Reply: messages.Invalid("node_id", "is not this node's peer id")}
	}
	if err := info.Check(); err != nil {
		return host.Output{Reply: err}
	}
	out := host.Output{Reply: messages.Ack{}}
	if fields := changedFields(c.self, info); c.selfSet && len(fields) > 0 {
		out.Events = []host.Event{{Type: "node_updated", Data: messages.NodeUpdated{
			PeerID: info.NodeID, DisplayName: info.DisplayName, Fields: fields, Via: messages.ViaSelf}}}
	}
	c.self, c.selfSet = info, true
	c.selfRTT = make(map[string]float64, len(info.Peers))
	for _, p := range info.Peers {
		c.selfRTT[p.NodeID] = p.RTTMs
	}
	return out
}

// online: connected now, or heard from directly within OnlineFor and since its last
// disconnection.
func (c *core) online(e *entry, now time.Time) bool {
	return e.connected || (!e.heard.IsZero() && now.Sub(e.heard) < c.cfg.OnlineFor)
}

// finish reports a changed edge set and keeps the expire timer at the next time a node that is
// online only because it was heard from would go offline.
func (c *core) finish(now time.Time, out *host.Output) {
	edges := c.computeEdges(now)
	set := make(map[[2]string]bool, len(edges))
	var added []messages.Edge
	for _, e := range edges {
		set[[2]string{e.A, e.B}] = true
		if !c.edges[[2]string{e.A, e.B}] {
			added = append(added, e)
		}
	}
	var removed []messages.Edge
	for _, k := range sortedPairs(c.edges) {
		if !set[k] {
			removed = append(removed, messages.Edge{A: k[0], B: k[1]})
		}
	}
	if len(added) > 0 || len(removed) > 0 {
		out.Events = append(out.Events, host.Event{Type: "topology_changed", Data: messages.TopologyChanged{
			Added: added, Removed: removed, Edges: len(edges), Online: c.countOnline(now)}})
	}
	c.edges = set
	var next time.Time
	for _, e := range c.nodes {
		if e.connected || e.heard.IsZero() {
			continue
		}
		if at := e.heard.Add(c.cfg.OnlineFor); at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	if next.Equal(c.armed) {
		return
	}
	c.armed = next
	if next.IsZero() {
		out.Cancel = append(out.Cancel, expireKey)
	} else {
		out.Timers = append(out.Timers, host.Timer{Key: expireKey, At: next})
	}
}

func (c *core) countOnline(now time.Time) int {
	n := 1 // this node
	for _, e := range c.nodes {
		if c.online(e, now) {
			n++
		}
	}
	return n
}

// changedFields names the fields of the node's info that differ, peers aside (their RTTs move
// on every report), in a fixed order.
func changedFields(a, b messages.NodeInfo) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("caps", !equalStrings(a.Caps, b.Caps))
	add("country", a.Country != b.Country)
	add("display_name", a.DisplayName != b.DisplayName)
	add("listen_addrs", !equalStrings(a.ListenAddrs, b.ListenAddrs))
	add("reliable", a.Reliable != b.Reliable)
	add("started_at_ms", a.StartedMs != b.StartedMs)
	add("vaults", !equalStrings(a.Vaults, b.Vaults))
	add("version", a.Version != b.Version)
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
