package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/network"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/joinurl"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// Networks serves the networks theme: the saved networks (the networks actor), the running
// mesh (MeshControl) and the key rotations peers push (networks_rotation.go).
type Networks struct {
	Actors Actors
	// Mgr is the manager of messages.NetworkKind; Contacts that of messages.ContactsKind, which
	// DecideRotation asks whether a peer is a contact.
	Mgr, Contacts *host.Manager
	// Mesh is the running mesh; nil answers the routes that need it with 503.
	Mesh MeshControl
	// Sealer seals swarm keys before they reach the actor and opens them for the mesh and
	// GET …/key (the node's keyring); nil answers routes that need a key with 503.
	Sealer Sealer
	// Mint makes a new swarm key (nil: swarmkey.Generate).
	Mint func() (swarmkey.Key, error)
}

// MeshControl is what the networks routes need from the running mesh; the daemon implements it.
type MeshControl interface {
	// Connect (re)starts the P2P stack on key, n's swarm key, dialling n's bootstrap list.
	Connect(ctx context.Context, n messages.Network, key swarmkey.Key) error
	// Disconnect stops the P2P stack: offline mode; the daemon stays up.
	Disconnect(ctx context.Context) error
	// State reports the mesh now.
	State() MeshState
	// PushSwarmKey sends key to every connected peer of network networkID (p2p/keyrotate.Push)
	// and reports who took it: pushed lists peer ids, failed maps a peer id to why not (a peer
	// that holds the key for its operator is in failed, "held: …").
	PushSwarmKey(ctx context.Context, networkID string, key swarmkey.Key) (pushed []string, failed map[string]string)
}

// The states of the mesh (MeshState.State).
const (
	MeshConnected = "connected" // the P2P stack runs on the active network's key
	MeshOffline   = "offline"   // a swarm key is saved, the P2P stack is stopped
	MeshLimited   = "limited"   // no swarm key at all
)

// MeshState is the mesh now.
type MeshState struct {
	State     string `json:"state"`
	NetworkID string `json:"network_id"` // the network the stack runs on; "" when not connected
	PeerID    string `json:"peer_id"`
	// ListenAddrs are where peers reach this node, each ending in /p2p/<peer id>.
	ListenAddrs []string `json:"listen_addrs"`
	Peers       int      `json:"peers"` // connected peers
}

// Routes lists the networks theme's routes, the rotation extension included.
func (n *Networks) Routes() []Route {
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	return append([]Route{
		{Method: get, Pattern: "/networks", Access: Bearer, Handler: n.list, Doc: Doc{
			Summary: "The saved networks, the active one's id (null: none) and the mesh's state", Response: NetworksReply{}}},
		{Method: post, Pattern: "/networks", Access: Bearer, Handler: n.add, Doc: Doc{
			Summary: "Save a network from a meshhold://join/v1 URL (400 naming what is wrong with it; 409 when its key is saved)", Request: AddNetworkRequest{}, Response: NetworkReply{}, Status: http.StatusCreated}},
		{Method: post, Pattern: "/networks/create", Access: Bearer, Handler: n.create, Doc: Doc{
			Summary: "Mint a new swarm key and save it as a network", Request: CreateNetworkRequest{}, Response: NetworkReply{}, Status: http.StatusCreated}},
		{Method: del, Pattern: "/networks/{id}", Access: Bearer, Handler: n.delete, Doc: Doc{
			Summary: "Forget a network; 409 for the active one while connected", Status: http.StatusNoContent}},
		{Method: post, Pattern: "/networks/{id}/connect", Access: Bearer, Handler: n.connect, Doc: Doc{
			Summary: "Make the network active and restart the P2P stack on its key", Response: ConnectReply{}}},
		{Method: post, Pattern: "/networks/disconnect", Access: Bearer, Handler: n.disconnect, Doc: Doc{
			Summary: "Stop the P2P stack and leave the active network: offline mode, the daemon stays up", Response: ConnectReply{}}},
		{Method: get, Pattern: "/networks/{id}/invite", Access: Bearer, Handler: n.invite, Doc: Doc{
			Summary: "A fresh meshhold://join/v1 URL for the network (a secret: it holds the swarm key)", Response: InviteReply{}}},
		{Method: get, Pattern: "/networks/{id}/key", Access: Bearer, Handler: n.key, Doc: Doc{
			Summary: "The network's swarm key, in the 3-line PSK text format", Produces: "text/plain"}},
		{Method: post, Pattern: "/networks/{id}/peers", Access: Bearer, Handler: n.addPeers, Doc: Doc{
			Summary: "Append bootstrap addresses from a share URL (join or node) or a list, skipping those saved", Request: PeersRequest{}, Response: PeersReply{}}},
		{Method: put, Pattern: "/networks/{id}/bootstrap", Access: Bearer, Handler: n.setBootstrap, Doc: Doc{
			Summary: "Replace the bootstrap list with the addresses given", Request: BootstrapRequest{}, Response: NetworkReply{}}},
		{Method: put, Pattern: "/networks/{id}/bootstrap-invite", Access: Bearer, Handler: n.setBootstrapInvite, Doc: Doc{
			Summary: "Replace the bootstrap list with the addresses of a share URL (join or node)", Request: InviteRequest{}, Response: NetworkReply{}}},
		{Method: post, Pattern: "/networks/{id}/swarm-key", Access: Bearer, Handler: n.rotate, Doc: Doc{
			Summary: "Rotate the swarm key (minted unless given), push it to the connected peers, reconnect on it", Request: RotateRequest{}, Response: RotateReply{}}},
	}, n.rotationRoutes()...)
}

// NetworkReply is one saved network; the key is never shown (GET …/key gives it).
type NetworkReply struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Active      bool     `json:"active"`
	Bootstrap   []string `json:"bootstrap"`
	Fingerprint string   `json:"fingerprint"`
	Source      string   `json:"source"`
	Declared    bool     `json:"declared"`
	CreatedMs   int64    `json:"created_at_ms"`
	UpdatedMs   int64    `json:"updated_at_ms"`
	RotatedMs   int64    `json:"rotated_at_ms"`
	PreviousID  string   `json:"previous_id,omitempty"`
}

func networkReply(m messages.Network) NetworkReply {
	bs := m.Bootstrap
	if bs == nil {
		bs = []string{}
	}
	return NetworkReply{ID: m.ID, Name: m.Name, Active: m.Active, Bootstrap: bs, Fingerprint: m.Key.Fingerprint,
		Source: m.Source, Declared: m.Declared, CreatedMs: m.CreatedMs, UpdatedMs: m.UpdatedMs, RotatedMs: m.RotatedMs, PreviousID: m.PreviousID}
}

// NetworksReply is the body of GET /networks. Active is null when no network is active;
// State is the mesh's (MeshConnected, MeshOffline, MeshLimited).
type NetworksReply struct {
	Networks []NetworkReply `json:"networks"`
	Active   *string        `json:"active"`
	State    string         `json:"state"`
}

func (n *Networks) list(w http.ResponseWriter, r *http.Request) {
	list, err := ask[messages.NetworkList](r.Context(), n.Actors, n.Mgr, messages.NetworkSelf, messages.ListNetworks{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	reply := NetworksReply{Networks: make([]NetworkReply, 0, len(list.Networks)), State: n.state(len(list.Networks) > 0).State}
	for _, m := range list.Networks {
		reply.Networks = append(reply.Networks, networkReply(m))
	}
	if list.ActiveID != "" {
		reply.Active = &list.ActiveID
	}
	WriteJSON(w, http.StatusOK, reply)
}

// state is the mesh's state; without a mesh, offline when a key is saved, else limited.
func (n *Networks) state(saved bool) MeshState {
	if n.Mesh != nil {
		return n.Mesh.State()
	}
	if saved {
		return MeshState{State: MeshOffline}
	}
	return MeshState{State: MeshLimited}
}

// connectedTo reports whether the mesh runs on network id now.
func (n *Networks) connectedTo(id string) bool {
	st := n.state(true)
	return st.State == MeshConnected && st.NetworkID == id
}

// AddNetworkRequest is the body of POST /networks; Name overrides the URL's name.
type AddNetworkRequest struct {
	JoinURL string `json:"join_url"`
	Name    string `json:"name,omitempty"`
}

func (n *Networks) add(w http.ResponseWriter, r *http.Request) {
	var req AddNetworkRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	if req.JoinURL == "" {
		WriteError(w, r, messages.Invalid("join_url", "is required (a meshhold://join/v1?… URL from GET /networks/:id/invite or /system/share)"))
		return
	}
	j, err := joinurl.ParseJoin(req.JoinURL)
	if err != nil {
		WriteError(w, r, shareURLError("join_url", err))
		return
	}
	if req.Name != "" {
		j.Name = req.Name
	}
	key, err := network.SealKey(n.Sealer, j.Key)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	n.added(w, r, messages.AddNetwork{Name: j.Name, Key: key, Bootstrap: j.Peers})
}

// CreateNetworkRequest is the body of POST /networks/create.
type CreateNetworkRequest struct {
	Name string `json:"name"`
}

func (n *Networks) create(w http.ResponseWriter, r *http.Request) {
	var req CreateNetworkRequest
	if err := decodeOptional(w, r, &req); err != nil {
		WriteError(w, r, err)
		return
	}
	if err := messages.CheckNetworkName("name", req.Name); err != nil {
		WriteError(w, r, err)
		return
	}
	k, err := n.mint()
	if err != nil {
		WriteError(w, r, err)
		return
	}
	key, err := network.SealKey(n.Sealer, k)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	n.added(w, r, messages.CreateNetwork{Name: req.Name, Key: key})
}

func (n *Networks) added(w http.ResponseWriter, r *http.Request, msg any) {
	res, err := ask[messages.NetworkAdded](r.Context(), n.Actors, n.Mgr, messages.NetworkSelf, msg)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, networkReply(res.Network))
}

func (n *Networks) mint() (swarmkey.Key, error) {
	if n.Mint != nil {
		return n.Mint()
	}
	return swarmkey.Generate()
}

func (n *Networks) delete(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	msg := messages.DeleteNetwork{ID: id, Connected: n.connectedTo(id)}
	if _, err := ask[messages.NetworkDeleted](r.Context(), n.Actors, n.Mgr, messages.NetworkSelf, msg); err != nil {
		WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ConnectReply answers connect and disconnect: the network now active (absent when none) and
// the mesh's state.
type ConnectReply struct {
	Network *NetworkReply `json:"network,omitempty"`
	Mesh    MeshState     `json:"mesh"`
}

func (n *Networks) connect(w http.ResponseWriter, r *http.Request) {
	if n.Mesh == nil {
		WriteError(w, r, because(messages.ErrUnavailable, "this daemon runs without a mesh"))
		return
	}
	netw, key, err := n.withKey(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	act, err := ask[messages.NetworkActivated](r.Context(), n.Actors, n.Mgr, messages.NetworkSelf, messages.SetActive{ID: netw.ID})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if err := n.Mesh.Connect(r.Context(), act.Network, key); err != nil {
		WriteError(w, r, meshError("could not start the mesh on network "+netw.ID, err))
		return
	}
	reply := networkReply(act.Network)
	WriteJSON(w, http.StatusOK, ConnectReply{Network: &reply, Mesh: n.Mesh.State()})
}

func (n *Networks) disconnect(w http.ResponseWriter, r *http.Request) {
	if n.Mesh != nil {
		if err := n.Mesh.Disconnect(r.Context()); err != nil {
			WriteError(w, r, meshError("could not stop the mesh", err))
			return
		}
	}
	if _, err := ask[messages.NetworkDeactivated](r.Context(), n.Actors, n.Mgr, messages.NetworkSelf, messages.ClearActive{}); err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, ConnectReply{Mesh: n.state(true)})
}

// meshError reports a failure of the mesh itself as a 503 whose message the operator can act
// on (a port in use, say); the cause is the mesh's own words, never a secret.
func meshError(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return because(messages.ErrLimitedMode, "%s: %v", what, err)
}

// withKey reads network id and opens its swarm key.
func (n *Networks) withKey(ctx context.Context, id string) (messages.Network, swarmkey.Key, error) {
	netw, err := ask[messages.Network](ctx, n.Actors, n.Mgr, messages.NetworkSelf, messages.GetNetwork{ID: id})
	if err != nil {
		return messages.Network{}, swarmkey.Key{}, err
	}
	key, err := network.OpenKey(n.Sealer, netw.Key)
	if err != nil {
		return messages.Network{}, swarmkey.Key{}, err
	}
	return netw, key, nil
}

// InviteReply is the body of GET /networks/:id/invite: the join URL and the peers it names
// (this node's reachable addresses when the mesh runs on the network, then its bootstrap list).
type InviteReply struct {
	URL       string   `json:"url"`
	NetworkID string   `json:"network_id"`
	Name      string   `json:"name"`
	Peers     []string `json:"peers"`
}

func (n *Networks) invite(w http.ResponseWriter, r *http.Request) {
	netw, key, err := n.withKey(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	var peers []string
	if st := n.state(true); st.State == MeshConnected && st.NetworkID == netw.ID {
		peers, _ = canonicalAddrs("listen_addrs", st.ListenAddrs, true)
	}
	for _, a := range netw.Bootstrap {
		if !slices.Contains(peers, a) {
			peers = append(peers, a)
		}
	}
	j := joinurl.Join{Name: netw.Name, Key: key, Peers: peers}
	for len(j.Peers) > 0 && len(j.URL()) > joinurl.MaxLen { // keep the first, most useful peers
		j.Peers = j.Peers[:len(j.Peers)-1]
	}
	if err := j.Validate(); err != nil {
		WriteError(w, r, fmt.Errorf("network: invite for %s: %w", netw.ID, err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusOK, InviteReply{URL: j.URL(), NetworkID: netw.ID, Name: netw.Name, Peers: append([]string{}, j.Peers...)})
}

func (n *Networks) key(w http.ResponseWriter, r *http.Request) {
	_, key, err := n.withKey(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(key.Text()))
}

// decodeOptional is DecodeJSON for a route whose body may be left out altogether.
func decodeOptional(w http.ResponseWriter, r *http.Request, dst any) error {
	if !hasBody(r) {
		return nil
	}
	return DecodeJSON(w, r, dst, 0)
}

// shareURLError turns a joinurl error into a 400 naming field, without the package prefix.
func shareURLError(field string, err error) error {
	return messages.Invalid(field, "%s", strings.TrimPrefix(err.Error(), "joinurl: "))
}
