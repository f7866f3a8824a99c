package api

import (
	"context"
	"errors"

	"github.com/meshhold/meshhold/actors/network"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/keyrotate"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// The daemon's side of networks: what it calls at start and what it wires into p2p/keyrotate.

// ImportDeclared imports config.yaml's swarm_key and bootstrap_peers as a network (see
// messages.ImportDeclared); name is the name a new network gets ("" for a default).
func (n *Networks) ImportDeclared(ctx context.Context, name string, key swarmkey.Key, bootstrap []string) (messages.NetworkImported, error) {
	addrs, err := canonicalAddrs("bootstrap_peers", bootstrap, false)
	if err != nil {
		return messages.NetworkImported{}, err
	}
	sealed, err := network.SealKey(n.Sealer, key)
	if err != nil {
		return messages.NetworkImported{}, err
	}
	return ask[messages.NetworkImported](ctx, n.Actors, n.Mgr, messages.NetworkSelf, messages.ImportDeclared{Name: name, Key: sealed, Bootstrap: addrs})
}

// ConnectActive starts the mesh on the active network; ok is false when none is active (the
// node stays offline, or limited without any network).
func (n *Networks) ConnectActive(ctx context.Context) (netw messages.Network, ok bool, err error) {
	list, err := ask[messages.NetworkList](ctx, n.Actors, n.Mgr, messages.NetworkSelf, messages.ListNetworks{})
	if err != nil || list.ActiveID == "" {
		return messages.Network{}, false, err
	}
	netw, key, err := n.withKey(ctx, list.ActiveID)
	if err != nil {
		return messages.Network{}, false, err
	}
	if n.Mesh == nil {
		return netw, false, because(messages.ErrUnavailable, "this daemon runs without a mesh")
	}
	return netw, true, n.Mesh.Connect(ctx, netw, key)
}

// errNoSuchNetwork is what a pusher hears when this node does not have its network.
var errNoSuchNetwork = errors.New("this node has no network with that id")

// DecideRotation is the keyrotate.Decider of this node: a key pushed by a contact is applied at
// once (the mesh follows in FollowRotation, once the pusher has the answer); one from any other
// peer is held for the operator. A key this node has already counts as applied.
func (n *Networks) DecideRotation(ctx context.Context, from, networkID string, key swarmkey.Key) (string, error) {
	if _, err := ask[messages.Network](ctx, n.Actors, n.Mgr, messages.NetworkSelf, messages.GetNetwork{ID: key.Fingerprint()}); err == nil {
		return keyrotate.StatusApplied, nil
	}
	if _, err := ask[messages.Network](ctx, n.Actors, n.Mgr, messages.NetworkSelf, messages.GetNetwork{ID: networkID}); err != nil {
		if errors.Is(err, messages.ErrNotFound) {
			return keyrotate.StatusRefused, errNoSuchNetwork
		}
		return "", errors.New("this node could not read its networks; push again later")
	}
	sealed, err := network.SealKey(n.Sealer, key)
	if err != nil {
		return "", errors.New("this node cannot store keys now; push again later")
	}
	_, err = ask[messages.Contact](ctx, n.Actors, n.Contacts, messages.ContactsID, messages.GetContact{NodeID: from})
	switch {
	case err == nil:
		if _, err := ask[messages.KeyRotated](ctx, n.Actors, n.Mgr, messages.NetworkSelf, messages.RotateKey{ID: networkID, NewKey: sealed, From: from}); err != nil {
			return "", errors.New("this node could not apply the key: " + publicReason(err))
		}
		return keyrotate.StatusApplied, nil
	case !errors.Is(err, messages.ErrNotFound):
		return "", errors.New("this node could not read its contacts; push again later")
	}
	if _, err := ask[messages.RotationHeld](ctx, n.Actors, n.Mgr, messages.NetworkSelf, messages.HoldRotation{From: from, NetworkID: networkID, NewKey: sealed}); err != nil {
		return "", errors.New("this node could not hold the key: " + publicReason(err))
	}
	return keyrotate.StatusHeld, nil
}

// FollowRotation restarts the mesh on key after DecideRotation applied it, when its network is
// the active one and the mesh does not run on it already (keyrotate.OnApplied).
func (n *Networks) FollowRotation(ctx context.Context, key swarmkey.Key) error {
	netw, err := ask[messages.Network](ctx, n.Actors, n.Mgr, messages.NetworkSelf, messages.GetNetwork{ID: key.Fingerprint()})
	if err != nil || !netw.Active || n.Mesh == nil || n.connectedTo(netw.ID) {
		return err
	}
	return n.Mesh.Connect(ctx, netw, key)
}

// publicReason is an error's message when it is one a user may read (a 4xx), else a generic one.
func publicReason(err error) string {
	if status, msg := Status(err); status < 500 {
		return msg
	}
	return "internal error"
}

// ActiveKey is the active network and its opened key (GET /system/share); ErrLimitedMode when
// no network is active.
func (n *Networks) ActiveKey(ctx context.Context) (messages.Network, swarmkey.Key, error) {
	list, err := ask[messages.NetworkList](ctx, n.Actors, n.Mgr, messages.NetworkSelf, messages.ListNetworks{})
	if err != nil {
		return messages.Network{}, swarmkey.Key{}, err
	}
	if list.ActiveID == "" {
		return messages.Network{}, swarmkey.Key{}, messages.LimitedMode("no network is active, so there is none to share; POST /api/v1/system/setup with a swarm key (meshhold keygen prints one) or POST /api/v1/networks/{id}/connect")
	}
	return n.withKey(ctx, list.ActiveID)
}
