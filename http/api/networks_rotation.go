package api

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/actors/network"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// RotateTimeout bounds pushing a new key to the peers and reconnecting on it; the work goes on
// if the client leaves, so a rotation is not left half done.
const RotateTimeout = 2 * time.Minute

// rotationRoutes are the extension routes of held key rotations (docs/api-extensions.tsv).
func (n *Networks) rotationRoutes() []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/networks/rotations", Access: Bearer, Handler: n.listRotations, Doc: Doc{
			Summary: "Key rotations pushed by peers that are not contacts, waiting for the operator", Response: RotationsReply{}}},
		{Method: http.MethodPost, Pattern: "/networks/rotations/{id}/accept", Access: Bearer, Handler: n.acceptRotation, Doc: Doc{
			Summary: "Apply a held rotation: the network takes the new key and the mesh reconnects on it if it ran on the network", Response: RotateReply{}}},
		{Method: http.MethodPost, Pattern: "/networks/rotations/{id}/refuse", Access: Bearer, Handler: n.refuseRotation, Doc: Doc{
			Summary: "Drop a held rotation", Status: http.StatusNoContent}},
	}
}

// RotateRequest is the body of POST /networks/:id/swarm-key: the new key in the 3-line PSK
// format, or nothing to have one minted.
type RotateRequest struct {
	Key string `json:"key,omitempty"`
}

// RotateReply answers a rotation: the network under its new id, the peers that took the key
// (pushed) and those that did not, with why (failed), and whether the mesh moved onto it.
type RotateReply struct {
	Network        NetworkReply      `json:"network"`
	PreviousID     string            `json:"previous_id"`
	Pushed         []string          `json:"pushed"`
	Failed         map[string]string `json:"failed"`
	Reconnected    bool              `json:"reconnected"`
	ReconnectError string            `json:"reconnect_error,omitempty"`
	Mesh           MeshState         `json:"mesh"`
}

func (n *Networks) rotate(w http.ResponseWriter, r *http.Request) {
	var req RotateRequest
	if err := decodeOptional(w, r, &req); err != nil {
		WriteError(w, r, err)
		return
	}
	var key swarmkey.Key
	var err error
	if req.Key != "" {
		if key, err = swarmkey.Parse(req.Key); err != nil {
			WriteError(w, r, messages.Invalid("key", "%v", err))
			return
		}
	} else if key, err = n.mint(); err != nil {
		WriteError(w, r, err)
		return
	}
	sealed, err := network.SealKey(n.Sealer, key)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	connected := n.connectedTo(id)
	res, err := ask[messages.KeyRotated](r.Context(), n.Actors, n.Mgr, messages.NetworkSelf, messages.RotateKey{ID: id, NewKey: sealed})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), RotateTimeout)
	defer cancel()
	reply := RotateReply{Network: networkReply(res.Network), PreviousID: res.PreviousID, Pushed: []string{}, Failed: map[string]string{}}
	if connected {
		pushed, failed := n.Mesh.PushSwarmKey(ctx, res.PreviousID, key)
		reply.Pushed = append(reply.Pushed, pushed...)
		for p, why := range failed {
			reply.Failed[p] = why
		}
		n.reconnect(ctx, &reply, res.Network, key)
	}
	reply.Mesh = n.state(true)
	WriteJSON(w, http.StatusOK, reply)
}

// reconnect moves the mesh onto the rotated network's new key, noting the outcome in reply.
func (n *Networks) reconnect(ctx context.Context, reply *RotateReply, netw messages.Network, key swarmkey.Key) {
	if err := n.Mesh.Connect(ctx, netw, key); err != nil {
		reply.ReconnectError = "could not restart the mesh on the new key: " + err.Error()
		return
	}
	reply.Reconnected = true
}

// RotationReply is one held rotation; the key is never shown.
type RotationReply struct {
	ID          string   `json:"id"`
	NetworkID   string   `json:"network_id"`
	NetworkName string   `json:"network_name"`
	Fingerprint string   `json:"fingerprint"`
	From        []string `json:"from"`
	ReceivedMs  int64    `json:"received_at_ms"`
}

// RotationsReply is the body of GET /networks/rotations, oldest first.
type RotationsReply struct {
	Rotations []RotationReply `json:"rotations"`
}

func (n *Networks) listRotations(w http.ResponseWriter, r *http.Request) {
	list, err := ask[messages.PendingRotations](r.Context(), n.Actors, n.Mgr, messages.NetworkSelf, messages.ListPendingRotations{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	reply := RotationsReply{Rotations: make([]RotationReply, 0, len(list.Rotations))}
	for _, p := range list.Rotations {
		reply.Rotations = append(reply.Rotations, RotationReply{ID: p.ID, NetworkID: p.NetworkID, NetworkName: p.NetworkName,
			Fingerprint: p.Key.Fingerprint, From: p.From, ReceivedMs: p.ReceivedMs})
	}
	WriteJSON(w, http.StatusOK, reply)
}

func (n *Networks) acceptRotation(w http.ResponseWriter, r *http.Request) {
	res, err := ask[messages.KeyRotated](r.Context(), n.Actors, n.Mgr, messages.NetworkSelf, messages.AcceptRotation{ID: chi.URLParam(r, "id")})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	reply := RotateReply{Network: networkReply(res.Network), PreviousID: res.PreviousID, Pushed: []string{}, Failed: map[string]string{}}
	if n.Mesh != nil && res.Network.Active {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), RotateTimeout)
		defer cancel()
		if key, err := network.OpenKey(n.Sealer, res.Network.Key); err != nil {
			reply.ReconnectError = "could not open the new key: " + err.Error()
		} else {
			n.reconnect(ctx, &reply, res.Network, key) // the active network runs on its new key
		}
	}
	reply.Mesh = n.state(true)
	WriteJSON(w, http.StatusOK, reply)
}

func (n *Networks) refuseRotation(w http.ResponseWriter, r *http.Request) {
	if _, err := ask[messages.RotationRefused](r.Context(), n.Actors, n.Mgr, messages.NetworkSelf, messages.RefuseRotation{ID: chi.URLParam(r, "id")}); err != nil {
		WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
