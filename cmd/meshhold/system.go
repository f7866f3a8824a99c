package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/meshhold/meshhold/actors/auth"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/joinurl"
	"github.com/meshhold/meshhold/p2p/swarmkey"
	"github.com/meshhold/meshhold/persist/configfile"
)

// nodeInfo answers the system routes that only the daemon can: status, setup, share.
type nodeInfo struct {
	d        *daemon
	verifier *auth.Verifier
	mu       sync.Mutex // guards edits of config.yaml and the mesh fields of d.cfg
}

var _ api.NodeInfo = (*nodeInfo)(nil)

// defaultNetworkName names the network config.yaml's swarm_key declares.
const defaultNetworkName = "default"

func (n *nodeInfo) Status(context.Context) api.StatusReply {
	n.mu.Lock()
	hasKey := n.d.cfg.SwarmKey.IsSet()
	netID := networkID(n.d.cfg.SwarmKey)
	n.mu.Unlock()
	d := n.d
	passwordSet := n.verifier.PasswordSet()
	st := api.StatusReply{
		Running:       true,
		Version:       version,
		NodeName:      d.cfg.Node.Name,
		PeerID:        d.peerID.String(),
		HasSwarmKey:   hasKey,
		PasswordSet:   passwordSet,
		SetupRequired: !passwordSet || !hasKey,
		ListenAddrs:   nonNil(d.cfg.Node.ListenAddrs),
		AtRest:        api.AtRestStatus{Enabled: d.keys.Status().Enabled, Provider: d.keys.Status().Provider},
		Network:       api.NetworkStatus{State: "limited", ID: netID},
		StartedMs:     d.started.UnixMilli(),
		UptimeMs:      time.Since(d.started).Milliseconds(),
	}
	if hasKey {
		// The mesh itself arrives with its own issue; until then a key waits for it.
		st.Network.State, st.Network.Name = "configured", defaultNetworkName
	}
	if d.tls != nil {
		st.TLS = api.TLSStatus{Enabled: true, Fingerprint: d.tls.Fingerprint(), SelfSigned: d.tls.SelfSigned()}
	}
	return st
}

// Setup writes swarm_key and bootstrap_peers into config.yaml through its syntax tree (comments
// and layout kept), atomically, at mode 0600.
func (n *nodeInfo) Setup(_ context.Context, key swarmkey.Key, bootstrap []string) (api.SetupReply, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	f, err := configfile.Load(n.d.cfg.path)
	if err != nil {
		return api.SetupReply{}, fmt.Errorf("setup: load config: %w", err)
	}
	if err := f.Set([]string{"swarm_key"}, key.Text()); err != nil {
		return api.SetupReply{}, fmt.Errorf("setup: %w", err)
	}
	if err := f.Set([]string{"bootstrap_peers"}, nonNil(bootstrap)); err != nil {
		return api.SetupReply{}, fmt.Errorf("setup: %w", err)
	}
	if err := f.Save(); err != nil {
		return api.SetupReply{}, fmt.Errorf("setup: save config: %w", err)
	}
	n.d.cfg.SwarmKey, n.d.cfg.BootstrapPeers = messages.Secret(key.Text()), bootstrap
	n.d.log.Info("swarm key set up", "network", key.Fingerprint(), "bootstrap_peers", len(bootstrap))
	return api.SetupReply{
		HasSwarmKey:     true,
		NetworkID:       key.Fingerprint(),
		RestartRequired: true,
		Message:         "config.yaml now holds the swarm key; the mesh starts with it at the next daemon start",
	}, nil
}

func (n *nodeInfo) Share(context.Context) (api.ShareReply, error) {
	n.mu.Lock()
	secret, peers := n.d.cfg.SwarmKey, n.d.cfg.BootstrapPeers
	n.mu.Unlock()
	if !secret.IsSet() {
		return api.ShareReply{}, messages.LimitedMode("no swarm key is set, so there is no network to share; POST /api/v1/system/setup with one (meshhold keygen prints a key)")
	}
	key, err := swarmkey.Parse(secret.Reveal())
	if err != nil {
		return api.ShareReply{}, err
	}
	bootstrap := append(joinurl.ReachableAddrs(n.d.cfg.Node.ListenAddrs, n.d.peerID), peers...)
	j := joinurl.Join{Name: defaultNetworkName, Key: key, Peers: bootstrap}
	return api.ShareReply{SwarmKey: key.Text(), Bootstrap: nonNil(bootstrap), ConnectURL: j.URL()}, nil
}

func (n *nodeInfo) ShareNode(context.Context) (api.NodeShareReply, error) {
	addrs := joinurl.ReachableAddrs(n.d.cfg.Node.ListenAddrs, n.d.peerID)
	node := joinurl.Node{ID: n.d.peerID.String(), Name: n.d.cfg.Node.Name, Addrs: addrs}
	return api.NodeShareReply{NodeID: node.ID, Name: node.Name, Addrs: nonNil(addrs), URL: node.URL()}, nil
}

// networkID names a network by its swarm key's fingerprint ("" without a key).
func networkID(secret messages.Secret) string {
	if !secret.IsSet() {
		return ""
	}
	k, err := swarmkey.Parse(secret.Reveal())
	if err != nil {
		return ""
	}
	return k.Fingerprint()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
