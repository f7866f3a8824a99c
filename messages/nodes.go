package messages

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NodesKind and NodesID name the node directory actor: entity nodes/self, the directory of
// every node this one has seen, itself included.
const (
	NodesKind = "nodes"
	NodesID   = "self"
)

// How a node's info reached the directory (NodeSeen.Via).
const (
	// ViaHello: the node itself sent it over a /meshhold/hello/1.0 stream.
	ViaHello = "hello"
	// ViaGossip: the node itself published it on the meshhold/hello topic.
	ViaGossip = "gossip"
	// ViaRelay: another node passed it on in a hello answer (hearsay: it only introduces nodes
	// the directory does not know yet).
	ViaRelay = "relay"
	// ViaSelf: this node's own info (UpdateSelf).
	ViaSelf = "self"
)

// Limits of what a node may say about itself; info beyond them is refused as a whole.
const (
	MaxNodeVersion  = 64  // bytes
	MaxNodeCaps     = 32  // capabilities
	MaxNodeCap      = 32  // bytes of one capability
	MaxNodeVaults   = 256 // vault ids
	MaxNodeVault    = 128 // bytes of one vault id
	MaxNodeAddrs    = 16  // listen addresses
	MaxNodeAddr     = 256 // bytes of one address
	MaxNodePeers    = 256 // peer links
	MaxNodeCountry  = 2   // ISO 3166-1 alpha-2, or ""
	MaxSpeedHistory = 20  // speed test results kept per peer
)

// PeerLink is one connection a node reports, with its round-trip time (0 when unknown).
type PeerLink struct {
	NodeID string  `json:"node_id"`
	RTTMs  float64 `json:"rtt_ms"`
}

// NodeInfo is what a node says about itself in the hello handshake and on the meshhold/hello
// topic. Slices are sorted by their sender; StartedMs is the sender's own clock.
type NodeInfo struct {
	NodeID      string     `json:"node_id"`
	DisplayName string     `json:"display_name"`
	Version     string     `json:"version"`
	Caps        []string   `json:"caps"`
	Reliable    bool       `json:"reliable"`
	Vaults      []string   `json:"vaults"`
	ListenAddrs []string   `json:"listen_addrs"`
	Country     string     `json:"country"`
	StartedMs   int64      `json:"started_at_ms"`
	Peers       []PeerLink `json:"peers"`
	// Seq rises with every info the node sends within one run (StartedMs): gossip can arrive
	// out of order over different paths, and a directory keeps the info with the higher Seq.
	Seq uint64 `json:"seq"`
}

// Check refuses info that breaks the limits above; field names the first field at fault. A
// node id is only checked for size and characters here: http/api and the mesh decode it.
func (n NodeInfo) Check() error {
	switch {
	case n.NodeID == "" || len(n.NodeID) > MaxNodeID || !printable(n.NodeID):
		return Invalid("node_id", "is not a peer id")
	case n.StartedMs < 0:
		return Invalid("started_at_ms", "must not be negative")
	case n.Country != "" && (len(n.Country) != MaxNodeCountry || strings.Trim(n.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != ""):
		return Invalid("country", "must be an ISO 3166-1 alpha-2 code such as DE, or empty")
	case len(n.Version) > MaxNodeVersion || !printable(n.Version):
		return Invalid("version", "is longer than %d bytes or not printable", MaxNodeVersion)
	}
	if n.DisplayName != "" {
		if err := CheckName("display_name", n.DisplayName, MaxDisplayName, false); err != nil {
			return err
		}
	}
	for _, l := range []struct {
		field string
		items []string
		max   int
		each  int
	}{
		{"caps", n.Caps, MaxNodeCaps, MaxNodeCap},
		{"vaults", n.Vaults, MaxNodeVaults, MaxNodeVault},
		{"listen_addrs", n.ListenAddrs, MaxNodeAddrs, MaxNodeAddr},
	} {
		if len(l.items) > l.max {
			return Invalid(l.field, "has more than %d entries", l.max)
		}
		for _, s := range l.items {
			if s == "" || len(s) > l.each || !printable(s) {
				return Invalid(l.field, "has an empty, unprintable or longer than %d bytes entry", l.each)
			}
		}
	}
	if len(n.Peers) > MaxNodePeers {
		return Invalid("peers", "has more than %d entries", MaxNodePeers)
	}
	for _, p := range n.Peers {
		if p.NodeID == "" || len(p.NodeID) > MaxNodeID || !printable(p.NodeID) || !(p.RTTMs >= 0) || math.IsInf(p.RTTMs, 0) {
			return Invalid("peers", "has an entry that is not a peer id with a round-trip time")
		}
	}
	return nil
}

// printable reports valid UTF-8 without control characters.
func printable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

// NodeView is one node as the directory shows it (GET /nodes, /nodes/self, /nodes/:node_id):
// what it last said about itself, and what this node knows of it.
type NodeView struct {
	NodeInfo
	// Self marks this node.
	Self bool `json:"self"`
	// Connected: a direct connection to it is open now.
	Connected bool `json:"connected"`
	// Online: connected now, or heard from directly (hello or gossip) within three gossip
	// intervals. Nodes loaded from disk after a restart are offline until seen again.
	Online bool `json:"online"`
	// LastSeenMs is when it was last connected or heard from directly; 0 if only relayed.
	LastSeenMs int64 `json:"last_seen_at_ms"`
	// FirstSeenMs is when this node first learned of it.
	FirstSeenMs int64 `json:"first_seen_at_ms"`
	// UptimeMs is how long it has been running, by its started_at_ms; 0 while offline.
	UptimeMs int64 `json:"uptime_ms"`
	// Via is how its info last arrived: hello, gossip, relay or self.
	Via string `json:"via"`
}

// TopologyNode is a node of the topology: enough to draw it.
type TopologyNode struct {
	NodeID      string `json:"node_id"`
	DisplayName string `json:"display_name"`
	Self        bool   `json:"self"`
	Online      bool   `json:"online"`
	UptimeMs    int64  `json:"uptime_ms"`
	LastSeenMs  int64  `json:"last_seen_at_ms"`
}

// Edge is one connection between two online nodes, A < B; RTTMs is 0 when unknown.
type Edge struct {
	A     string  `json:"a"`
	B     string  `json:"b"`
	RTTMs float64 `json:"rtt_ms"`
}

// Topology is the mesh as this node sees it (GET /network/topology): every known node, and
// the connections between online ones, sorted.
type Topology struct {
	Nodes []TopologyNode `json:"nodes"`
	Edges []Edge         `json:"edges"`
}

// SpeedResult is one speed test against a peer: its round-trip time and the throughput of a
// bounded bulk transfer to it. Error is set when the test failed part-way.
type SpeedResult struct {
	PeerID  string  `json:"peer_id"`
	AtMs    int64   `json:"at_ms"`
	RTTMs   float64 `json:"rtt_ms"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	Mbps    float64 `json:"mbps"`
	Error   string  `json:"error,omitempty"`
}

// ThroughputBucket is one 10 s bucket of the throughput ring: the bytes received and sent in
// it, and the same as bytes per second (over the part of the bucket that has passed).
type ThroughputBucket struct {
	AtMs     int64   `json:"at_ms"`
	InBytes  uint64  `json:"in_bytes"`
	OutBytes uint64  `json:"out_bytes"`
	InBps    float64 `json:"in_bps"`
	OutBps   float64 `json:"out_bps"`
}

// Throughput is the body of GET /stats/throughput: the last 10 minutes, oldest bucket first.
type Throughput struct {
	BucketS int                `json:"bucket_s"`
	Buckets []ThroughputBucket `json:"buckets"`
}

// NATGateway is the UPnP internet gateway device found on the LAN.
type NATGateway struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// NATMapping is one port mapping on the gateway.
type NATMapping struct {
	Protocol     string `json:"protocol"`
	ExternalPort int    `json:"external_port"`
	InternalPort int    `json:"internal_port"`
	InternalIP   string `json:"internal_ip"`
	Description  string `json:"description"`
	Enabled      bool   `json:"enabled"`
	LeaseS       int64  `json:"lease_s"`
}

// NATStatus is the body of GET /system/nat. No gateway is a normal answer (GatewayFound false,
// Message says so); Error carries what went wrong talking to one that was found, and
// PublicIPError what went wrong with the public-IP lookup (off unless configured).
type NATStatus struct {
	GatewayFound  bool         `json:"gateway_found"`
	Gateway       *NATGateway  `json:"gateway"`
	ExternalIP    string       `json:"external_ip"`
	Mappings      []NATMapping `json:"mappings"`
	Message       string       `json:"message"`
	Error         string       `json:"error,omitempty"`
	PublicIP      string       `json:"public_ip"`
	PublicIPURL   string       `json:"public_ip_url,omitempty"`
	PublicIPError string       `json:"public_ip_error,omitempty"`
	CheckedAtMs   int64        `json:"checked_at_ms"`
}

// NodeSeen reports a node's info as it arrived (Via: ViaHello, ViaGossip or ViaRelay). The
// directory answers nothing; it is sent, not asked.
type NodeSeen struct {
	Info NodeInfo
	Via  string
}

// PeerConnected reports a direct connection to NodeID opening.
type PeerConnected struct{ NodeID string }

// PeerDisconnected reports the last direct connection to NodeID closing.
type PeerDisconnected struct{ NodeID string }

// UpdateSelf sets what this node says about itself (its Peers carry the RTTs it measured). The
// directory answers Ack.
type UpdateSelf struct{ Info NodeInfo }

// Ack answers a command that has nothing else to say.
type Ack struct{}

// ListNodes asks for every node of the directory, this one first, then online ones, then by
// display name and node id.
type ListNodes struct {
	// OnlineOnly leaves offline nodes out (what a hello answer passes on).
	OnlineOnly bool
}

// NodeList answers ListNodes.
type NodeList struct {
	Nodes []NodeView `json:"nodes"`
}

// GetNode asks for one node; NodeID is canonical (http/api decodes it). ErrNotFound ("node not
// found") when the directory has never seen it. This node's own id gives GetSelf's answer.
type GetNode struct{ NodeID string }

// GetSelf asks for this node's own NodeView.
type GetSelf struct{}

// GetTopology asks for the Topology.
type GetTopology struct{}

// RecordSpeedtest keeps a speed test's result in its peer's history (the last MaxSpeedHistory).
// The directory answers Ack.
type RecordSpeedtest struct{ Result SpeedResult }

// SpeedHistory asks for the speed tests against Peer, newest first; ErrNotFound when the
// directory knows neither the peer nor any test against it.
type SpeedHistory struct{ Peer string }

// SpeedHistoryList answers SpeedHistory.
type SpeedHistoryList struct {
	PeerID  string        `json:"peer_id"`
	Results []SpeedResult `json:"results"`
}

// PeerChanged is the data of the peer_connected and peer_disconnected events. The peer is
// peer_id: node_id in an event's envelope is the node that reports it.
type PeerChanged struct {
	PeerID      string `json:"peer_id"`
	DisplayName string `json:"display_name,omitempty"`
}

// NodeUpdated is the data of the node_updated event: a node that is new to the directory
// (Fields empty, New set) or whose info changed (Fields lists what, peers aside).
type NodeUpdated struct {
	PeerID      string   `json:"peer_id"`
	DisplayName string   `json:"display_name"`
	New         bool     `json:"new,omitempty"`
	Fields      []string `json:"fields,omitempty"`
	Via         string   `json:"via"`
}

// TopologyChanged is the data of the topology_changed event: the edges that appeared and went
// (RTT aside: a changed round-trip time is not a change of topology), and how many there are now.
type TopologyChanged struct {
	Added   []Edge `json:"added,omitempty"`
	Removed []Edge `json:"removed,omitempty"`
	Edges   int    `json:"edges"`
	Online  int    `json:"online"`
}
