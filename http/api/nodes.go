package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
)

// Nodes serves the nodes theme — the node directory, the topology, speed tests, the
// throughput ring — and GET /system/nat. The directory routes answer in limited mode too
// (this node, and the others as last seen, offline); speed tests need the mesh.
type Nodes struct {
	Actors Actors
	// Mgr is the manager of the node directory (messages.NodesKind).
	Mgr *host.Manager
	// Mesh runs speed tests; nil or not connected: limited mode.
	Mesh NodesMesh
	// Traffic is the throughput ring's snapshot (p2p/traffic); nil: 503.
	Traffic func() messages.Throughput
	// NAT is the NAT check (p2p/natinfo); nil: 503.
	NAT func(ctx context.Context) messages.NATStatus
}

// NodesMesh is what the node routes need from the running mesh; nil or not connected → 503 with messages.LimitedMode("...").
type NodesMesh interface {
	Connected() bool
	Speedtest(ctx context.Context, peer string) (messages.SpeedResult, error)
}

// errNoMesh is the limited-mode answer of the routes that need peers.
var errNoMesh = messages.LimitedMode("the mesh is not running (no swarm key, or disconnected); speed tests need a connected peer")

// Routes lists the nodes theme's routes, and GET /system/nat.
func (n *Nodes) Routes() []Route {
	get, post := http.MethodGet, http.MethodPost
	return []Route{
		{Method: get, Pattern: "/nodes", Access: Bearer, Handler: n.list, Doc: Doc{
			Summary: "Every node seen: this one first, then online ones, then by name; offline ones as last seen", Response: messages.NodeList{}}},
		{Method: get, Pattern: "/nodes/self", Access: Bearer, Handler: n.self, Doc: Doc{
			Summary: "This node, in the same shape", Response: messages.NodeView{}}},
		{Method: get, Pattern: "/nodes/{node_id}", Access: Bearer, Handler: n.get, Doc: Doc{
			Summary: "One node (404 never seen, 400 not a peer id)", Response: messages.NodeView{}}},
		{Method: get, Pattern: "/network/topology", Access: Bearer, Handler: n.topology, Doc: Doc{
			Summary: "Every node and the connections between online ones, with round-trip times and uptimes", Response: messages.Topology{}}},
		{Method: post, Pattern: "/network/speedtest/{peer_id}", Access: Bearer, Handler: n.speedtest, Doc: Doc{
			Summary: "Measure latency and throughput to a connected peer (bounded in bytes and time); a test that fails part-way answers 200 with error set (404 unknown or unconnected peer, 409 one is running, 503 limited mode)", Response: messages.SpeedResult{}}},
		{Method: get, Pattern: "/network/speedtest/{peer_id}/history", Access: Bearer, Handler: n.history, Doc: Doc{
			Summary: "The last 20 speed tests against a peer, newest first", Response: messages.SpeedHistoryList{}}},
		{Method: get, Pattern: "/stats/throughput", Access: Bearer, Handler: n.throughput, Doc: Doc{
			Summary: "Bytes in and out over the last 10 minutes, in 10 s buckets, oldest first", Response: messages.Throughput{}}},
		{Method: get, Pattern: "/system/nat", Access: Bearer, Handler: n.nat, Doc: Doc{
			Summary: "UPnP gateway, external IP and mesh port mapping; \"no gateway found\" is a normal answer; the public IP when a lookup URL is set", Response: messages.NATStatus{}}},
	}
}

func (n *Nodes) list(w http.ResponseWriter, r *http.Request) {
	answer[messages.NodeList](w, r, n, messages.ListNodes{})
}

func (n *Nodes) self(w http.ResponseWriter, r *http.Request) {
	answer[messages.NodeView](w, r, n, messages.GetSelf{})
}

func (n *Nodes) get(w http.ResponseWriter, r *http.Request) {
	id, err := peerParam(r, "node_id")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	answer[messages.NodeView](w, r, n, messages.GetNode{NodeID: id})
}

func (n *Nodes) topology(w http.ResponseWriter, r *http.Request) {
	answer[messages.Topology](w, r, n, messages.GetTopology{})
}

func (n *Nodes) history(w http.ResponseWriter, r *http.Request) {
	id, err := peerParam(r, "peer_id")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	answer[messages.SpeedHistoryList](w, r, n, messages.SpeedHistory{Peer: id})
}

// speedtest runs the test in the request goroutine (cores do no I/O) and records its result,
// failed ones too; refusals (unknown peer, busy, limited mode) are not recorded.
func (n *Nodes) speedtest(w http.ResponseWriter, r *http.Request) {
	id, err := peerParam(r, "peer_id")
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if n.Mesh == nil || !n.Mesh.Connected() {
		WriteError(w, r, errNoMesh)
		return
	}
	node, err := ask[messages.NodeView](r.Context(), n.Actors, n.Mgr, messages.NodesID, messages.GetNode{NodeID: id})
	switch {
	case err != nil:
		WriteError(w, r, err)
		return
	case node.Self:
		WriteError(w, r, messages.Invalid("peer_id", "is this node; test another one"))
		return
	}
	res, err := n.Mesh.Speedtest(r.Context(), id)
	if err != nil {
		if refusal(err) {
			WriteError(w, r, err)
			return
		}
		if res.Error == "" {
			res.Error = err.Error()
		}
	}
	res.PeerID = id
	if _, err := ask[messages.Ack](r.Context(), n.Actors, n.Mgr, messages.NodesID, messages.RecordSpeedtest{Result: res}); err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, res)
}

// refusal tells a test that did not run (answered with its status) from one that failed.
func refusal(err error) bool {
	var invalid *messages.InvalidError
	for _, kind := range []error{messages.ErrNotFound, messages.ErrConflict, messages.ErrLimitedMode,
		messages.ErrUnavailable, messages.ErrTooManyRequests, context.Canceled} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return errors.As(err, &invalid)
}

func (n *Nodes) throughput(w http.ResponseWriter, r *http.Request) {
	if n.Traffic == nil {
		WriteError(w, r, messages.ErrUnavailable)
		return
	}
	WriteJSON(w, http.StatusOK, n.Traffic())
}

func (n *Nodes) nat(w http.ResponseWriter, r *http.Request) {
	if n.NAT == nil {
		WriteError(w, r, messages.ErrUnavailable)
		return
	}
	WriteJSON(w, http.StatusOK, n.NAT(r.Context()))
}

// answer asks the directory and writes its reply.
func answer[R any](w http.ResponseWriter, r *http.Request, n *Nodes, msg any) {
	res, err := ask[R](r.Context(), n.Actors, n.Mgr, messages.NodesID, msg)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, res)
}

// peerParam decodes the path parameter name as a peer id (see nodeID), naming it when bad.
func peerParam(r *http.Request, name string) (string, error) {
	id, err := nodeID(chi.URLParam(r, name))
	var invalid *messages.InvalidError
	if errors.As(err, &invalid) {
		return "", messages.Invalid(name, "%s", invalid.Reason)
	}
	return id, err
}
