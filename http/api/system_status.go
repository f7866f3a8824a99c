package api

import (
	"context"
	"net/http"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// NodeInfo is what only the daemon knows: its status, its config file and how to reach it.
type NodeInfo interface {
	Status(ctx context.Context) StatusReply
	// Setup writes the swarm key and bootstrap list into config.yaml.
	Setup(ctx context.Context, key swarmkey.Key, bootstrap []string) (SetupReply, error)
	// Share describes how to join this node's network; ErrLimitedMode without a swarm key.
	Share(ctx context.Context) (ShareReply, error)
	// ShareNode describes this node without the swarm key.
	ShareNode(ctx context.Context) (NodeShareReply, error)
}

// StatusReply is GET /system/status: the canonical health probe, open without a token.
type StatusReply struct {
	Running       bool          `json:"running"`
	Version       string        `json:"version"`
	NodeName      string        `json:"node_name"`
	PeerID        string        `json:"peer_id"`
	HasSwarmKey   bool          `json:"has_swarm_key"`
	PasswordSet   bool          `json:"password_set"`
	SetupRequired bool          `json:"setup_required"`
	ListenAddrs   []string      `json:"listen_addrs"`
	S3Enabled     bool          `json:"s3_enabled"`
	TLS           TLSStatus     `json:"tls"`
	AtRest        AtRestStatus  `json:"at_rest"`
	Network       NetworkStatus `json:"network"`
	StartedMs     int64         `json:"started_at_ms"`
	UptimeMs      int64         `json:"uptime_ms"`
}

// TLSStatus tells a client how to pin the API's certificate.
type TLSStatus struct {
	Enabled     bool   `json:"enabled"`
	Fingerprint string `json:"fingerprint"` // SHA-256 of the certificate, hex with colons
	SelfSigned  bool   `json:"self_signed"`
}

// AtRestStatus reports the at-rest master key's state.
type AtRestStatus struct {
	Enabled  bool   `json:"enabled"`
	Provider string `json:"provider"`
}

// NetworkStatus is the active network: state is "limited" (no network saved), "offline" (the
// mesh stopped: POST /networks/disconnect, or it could not start) or "connected".
type NetworkStatus struct {
	State string `json:"state"`
	ID    string `json:"id"`
	Name  string `json:"name"`
}

// SetupRequest is the body of POST /system/setup.
type SetupRequest struct {
	SwarmKey       string   `json:"swarm_key"`
	BootstrapPeers []string `json:"bootstrap_peers"`
}

// SetupReply answers POST /system/setup.
type SetupReply struct {
	HasSwarmKey     bool   `json:"has_swarm_key"`
	NetworkID       string `json:"network_id"`
	RestartRequired bool   `json:"restart_required"`
	Message         string `json:"message"`
}

// ShareReply is GET /system/share: everything a new device needs to join.
type ShareReply struct {
	SwarmKey   string   `json:"swarm_key"`
	Bootstrap  []string `json:"bootstrap"`
	ConnectURL string   `json:"connect_url"`
}

// NodeShareReply is GET /system/share-node: this node's identity and addresses, no key.
type NodeShareReply struct {
	NodeID string   `json:"node_id"`
	Name   string   `json:"name"`
	Addrs  []string `json:"addrs"`
	URL    string   `json:"url"`
}

// WhoamiReply is GET /whoami.
type WhoamiReply struct {
	messages.Whoami
	Principal messages.Principal `json:"principal"`
}

func (s *System) whoami(w http.ResponseWriter, r *http.Request) {
	me, err := ask[messages.Whoami](r.Context(), s.Actors, s.Profile, messages.ProfileID, messages.GetWhoami{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	p, _ := PrincipalFrom(r.Context())
	WriteJSON(w, http.StatusOK, WhoamiReply{Whoami: me, Principal: p})
}

func (s *System) status(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, s.Node.Status(r.Context()))
}

func (r SetupRequest) Check() error {
	if r.SwarmKey == "" {
		return messages.Invalid("swarm_key", "is required (the 3-line PSK; `meshhold keygen` prints one)")
	}
	if _, err := swarmkey.Parse(r.SwarmKey); err != nil {
		return messages.Invalid("swarm_key", "%v", err)
	}
	for i, a := range r.BootstrapPeers {
		if _, err := peer.AddrInfoFromString(a); err != nil {
			return messages.Invalid("bootstrap_peers", "[%d] %q is not a multiaddr ending in /p2p/<peer id>", i, a)
		}
	}
	return nil
}

func (s *System) setup(w http.ResponseWriter, r *http.Request) {
	var req SetupRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	key, _ := swarmkey.Parse(req.SwarmKey) // Check parsed it already
	reply, err := s.Node.Setup(r.Context(), key, req.BootstrapPeers)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, reply)
}

func (s *System) share(w http.ResponseWriter, r *http.Request) {
	reply, err := s.Node.Share(r.Context())
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, reply)
}

func (s *System) shareNode(w http.ResponseWriter, r *http.Request) {
	reply, err := s.Node.ShareNode(r.Context())
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, reply)
}
