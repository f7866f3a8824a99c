package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/meshhold/meshhold/actors/auth"
	"github.com/meshhold/meshhold/actors/host"
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

func (n *nodeInfo) Status(ctx context.Context) api.StatusReply {
	d := n.d
	passwordSet := n.verifier.PasswordSet()
	st := api.StatusReply{
		Running:     true,
		Version:     version,
		NodeName:    d.cfg.Node.Name,
		PeerID:      d.peerID.String(),
		PasswordSet: passwordSet,
		ListenAddrs: []string{},
		AtRest:      api.AtRestStatus{Enabled: d.keys.Status().Enabled, Provider: d.keys.Status().Provider},
		Network:     api.NetworkStatus{State: api.MeshLimited},
		StartedMs:   d.started.UnixMilli(),
		UptimeMs:    time.Since(d.started).Milliseconds(),
	}
	if d.mesh != nil {
		ms := d.mesh.State()
		st.Network.State, st.ListenAddrs = ms.State, nonNil(ms.ListenAddrs)
		if list, err := host.AskChild[messages.NetworkList](ctx, d.node.Root, d.nets.Mgr, messages.NetworkSelf, messages.ListNetworks{}, askLimit); err == nil {
			st.HasSwarmKey = len(list.Networks) > 0
			for _, nw := range list.Networks {
				if nw.ID == list.ActiveID {
					st.Network.ID, st.Network.Name = nw.ID, nw.Name
				}
			}
		}
	}
	st.SetupRequired = !passwordSet || !st.HasSwarmKey
	if d.tls != nil {
		st.TLS = api.TLSStatus{Enabled: true, Fingerprint: d.tls.Fingerprint(), SelfSigned: d.tls.SelfSigned()}
	}
	return st
}

// Setup writes swarm_key and bootstrap_peers into config.yaml through its syntax tree (comments
// and layout kept), atomically, at mode 0600, saves them as a network and, when no other
// network is active, connects to it.
func (n *nodeInfo) Setup(ctx context.Context, key swarmkey.Key, bootstrap []string) (api.SetupReply, error) {
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
	reply := api.SetupReply{HasSwarmKey: true, NetworkID: key.Fingerprint(),
		Message: "config.yaml holds the swarm key and the network is saved"}
	if n.d.nets == nil {
		reply.RestartRequired, reply.Message = true, "config.yaml now holds the swarm key; the mesh starts with it at the next daemon start"
		return reply, nil
	}
	if err := n.d.importNetwork(ctx, n.d.cfg.SwarmKey, bootstrap); err != nil {
		return api.SetupReply{}, err
	}
	if n.d.mesh.State().State != api.MeshConnected {
		if _, ok, err := n.d.nets.ConnectActive(ctx); err != nil {
			reply.Message += "; the mesh did not start: " + err.Error()
		} else if ok {
			reply.Message += "; the mesh is connected"
		}
	}
	return reply, nil
}

func (n *nodeInfo) Share(ctx context.Context) (api.ShareReply, error) {
	if n.d.nets == nil {
		return api.ShareReply{}, messages.LimitedMode("the daemon is starting")
	}
	netw, key, err := n.d.nets.ActiveKey(ctx)
	if err != nil {
		return api.ShareReply{}, err
	}
	bootstrap := n.reachable()
	for _, a := range netw.Bootstrap {
		if !slices.Contains(bootstrap, a) {
			bootstrap = append(bootstrap, a)
		}
	}
	j := joinurl.Join{Name: netw.Name, Key: key, Peers: bootstrap}
	return api.ShareReply{SwarmKey: key.Text(), Bootstrap: nonNil(bootstrap), ConnectURL: j.URL()}, nil
}

// reachable is where peers can dial this node: the running mesh's addresses, else those
// config.yaml's listen_addrs would give.
func (n *nodeInfo) reachable() []string {
	if n.d.mesh != nil {
		if st := n.d.mesh.State(); st.State == api.MeshConnected {
			return st.ListenAddrs
		}
	}
	return joinurl.ReachableAddrs(n.d.cfg.Node.ListenAddrs, n.d.peerID)
}

func (n *nodeInfo) ShareNode(context.Context) (api.NodeShareReply, error) {
	addrs := n.reachable()
	node := joinurl.Node{ID: n.d.peerID.String(), Name: n.d.cfg.Node.Name, Addrs: addrs}
	return api.NodeShareReply{NodeID: node.ID, Name: node.Name, Addrs: nonNil(addrs), URL: node.URL()}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
