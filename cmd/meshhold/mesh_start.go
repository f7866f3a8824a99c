package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/network"
	"github.com/meshhold/meshhold/actors/nodes"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/natinfo"
	"github.com/meshhold/meshhold/p2p/swarmkey"
	"github.com/meshhold/meshhold/p2p/traffic"
)

// startDirectory registers the networks and node-directory actors and builds their routes; the
// mesh itself starts later (startMesh), once every route is served.
func (d *daemon) startDirectory(contactsMgr *host.Manager) error {
	netMgr, err := d.node.Register(messages.NetworkKind, network.Load)
	if err != nil {
		return err
	}
	nodesMgr, err := d.node.Register(messages.NodesKind, nodes.Load(nodes.Config{Self: d.peerID.String(), OnlineFor: 3 * helloInterval}))
	if err != nil {
		return err
	}
	d.mesh = &meshGlue{d: d, priv: d.priv, nodesMgr: nodesMgr, log: d.log.With("subsystem", "mesh")}
	d.nets = &api.Networks{Actors: d.system.Actors, Mgr: netMgr, Contacts: contactsMgr, Mesh: d.mesh, Sealer: d.keys}
	d.mesh.nets = d.nets
	if d.rooms != nil { // chat.go: messages written here are gossiped; rooms joined are carried
		d.rooms.publish, d.rooms.joined, d.rooms.read = d.mesh.publishChat, d.mesh.syncChat, d.mesh.publishReceipt
	}
	d.traffic = traffic.New(d.mesh.Traffic, nil)
	ctx, cancel := context.WithCancel(context.Background())
	d.stopTraffic = cancel
	go d.traffic.Run(ctx, 0)
	nat := natinfo.New(natinfo.Config{PublicIPURL: d.cfg.Node.PublicIPURL, MeshPort: tcpPort(d.cfg.Node.ListenAddrs)})
	d.nodes = &api.Nodes{Actors: d.system.Actors, Mgr: nodesMgr, Mesh: d.mesh, Traffic: d.traffic.Snapshot, NAT: nat.Status}
	return nil
}

// startMesh imports config.yaml's network, tells the directory who this node is and connects
// to the active network. A mesh that cannot start is logged, not fatal: the node runs offline
// and GET /system/status says why.
func (d *daemon) startMesh() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.importNetwork(ctx, d.cfg.SwarmKey, d.cfg.BootstrapPeers); err != nil {
		return err
	}
	d.mesh.refreshSelf(ctx)
	if err := d.mesh.watchSelf(); err != nil {
		return err
	}
	if err := d.mesh.watchChanges(); err != nil {
		return err
	}
	if _, ok, err := d.nets.ConnectActive(ctx); err != nil {
		d.log.Error("the mesh did not start; the node runs offline", "err", err)
	} else if ok {
		d.mesh.refreshSelf(ctx)
	}
	return nil
}

// importNetwork saves config.yaml's swarm key and bootstrap list as a network (active when
// none is); an empty key imports nothing.
func (d *daemon) importNetwork(ctx context.Context, secret messages.Secret, bootstrap []string) error {
	if !secret.IsSet() {
		return nil
	}
	key, err := swarmkey.Parse(secret.Reveal())
	if err != nil {
		return fmt.Errorf("swarm_key: %w", err)
	}
	imp, err := d.nets.ImportDeclared(ctx, defaultNetworkName, key, bootstrap)
	if err != nil {
		return fmt.Errorf("import the network of config.yaml: %w", err)
	}
	if imp.Moved {
		d.log.Warn("config.yaml's swarm_key was rotated away; the node uses the network's new key", "network", imp.Network.ID)
	}
	return nil
}

// tcpPort is the first fixed TCP port the mesh listens on (0: none, or chosen by the OS).
func tcpPort(addrs []string) int {
	for _, a := range addrs {
		m, err := ma.NewMultiaddr(a)
		if err != nil {
			continue
		}
		if v, err := m.ValueForProtocol(ma.P_TCP); err == nil {
			if p, err := strconv.Atoi(v); err == nil && p > 0 {
				return p
			}
		}
	}
	return 0
}
