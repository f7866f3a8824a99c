package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/nodes"
	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/chat"
	"github.com/meshhold/meshhold/p2p/hello"
	"github.com/meshhold/meshhold/p2p/keyrotate"
	"github.com/meshhold/meshhold/p2p/mesh"
	"github.com/meshhold/meshhold/p2p/speedtest"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// meshGlue runs the P2P stack of the active network and the services on it (hello, speed
// tests, key rotations). It is the daemon's api.MeshControl and api.NodesMesh; the stack is
// restarted on every connect, so each service is started again on the new transport.
type meshGlue struct {
	d        *daemon
	priv     crypto.PrivKey
	nets     *api.Networks
	nodesMgr *host.Manager
	log      *slog.Logger

	mu    sync.Mutex // serializes Connect and Disconnect; guards the fields below
	m     *mesh.Mesh
	netID string
	hello *hello.Service
	// repl is the running mesh's replication; atomic, so that callbacks which may run while
	// Connect holds mu (hello's sink) can read it.
	repl  atomic.Pointer[replication]
	chat  atomic.Pointer[chat.Service] // the rooms' carrier on the running mesh (chat.go)
	stops []func()
	bound []string // the addresses the first mesh bound: a /tcp/0 port is kept across restarts

	refreshMu  sync.Mutex      // serializes refreshSelf
	annMu      sync.Mutex      // guards annPending
	annPending map[string]bool // vaults with a change announcement due (announceSoon)
	selfMu     sync.Mutex
	self       messages.NodeInfo // this node's info without its mesh fields (hello.SelfInfo adds them)
	observed   map[string]bool   // vaults of peers already looked at (observe)
	subs       []bus.Subscription
}

var (
	_ api.MeshControl = (*meshGlue)(nil)
	_ api.NodesMesh   = (*meshGlue)(nil)
)

// helloInterval is how often node info is re-gossiped; a node unheard for three is offline.
const helloInterval = 30 * time.Second

// transport is the running mesh, nil when offline.
func (g *meshGlue) transport() p2p.Transport {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		return nil
	}
	return g.m
}

// Connect (re)starts the P2P stack on key, dialling n's bootstrap list.
func (g *meshGlue) Connect(ctx context.Context, n messages.Network, key swarmkey.Key) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	prev := g.peerAddrsLocked()
	g.stopLocked()
	cfg := g.d.cfg
	for _, a := range cfg.Node.ListenAddrs {
		if isQUIC(a) {
			g.log.Warn("node.listen_addrs lists a QUIC address: go-libp2p drops QUIC under a swarm key, so the mesh runs on TCP only", "addr", a)
		}
	}
	listen := tcpOnly(cfg.Node.ListenAddrs)
	if g.bound != nil {
		listen = g.bound // peers know this node at these ports: a restart on a new key keeps them
	}
	m, err := mesh.Start(mesh.Config{PrivKey: g.priv, PSK: key.Bytes(), ListenAddrs: listen, NoListen: len(cfg.Node.ListenAddrs) == 0,
		Bootstrap: n.Bootstrap, MDNS: cfg.Node.MDNS, Logger: g.log})
	if err != nil {
		return fmt.Errorf("start the mesh on network %s: %w", n.ID, err)
	}
	g.m, g.netID = m, n.ID
	if g.bound == nil {
		for _, a := range m.Host().Network().ListenAddresses() {
			g.bound = append(g.bound, a.String())
		}
	}
	g.startServicesLocked(m)
	go redial(m, prev)
	g.log.Info("mesh connected", "network", n.ID, "name", n.Name, "addrs", m.Addrs(), "bootstrap", len(n.Bootstrap))
	return nil
}

// peerAddrsLocked is where the peers of the running mesh are, one dialable address each.
func (g *meshGlue) peerAddrsLocked() []string {
	if g.m == nil {
		return nil
	}
	var out []string
	ps := g.m.Host().Peerstore()
	for _, p := range g.m.Host().Network().Peers() {
		for _, a := range ps.Addrs(p) {
			out = append(out, a.String()+"/p2p/"+p.String())
		}
	}
	return out
}

// redial dials, for half a minute, the peers the previous mesh had: after a key rotation or a
// reconnect both sides come back at once instead of waiting for bootstrap backoffs (peers
// that moved to the same key answer; others fail the handshake and are left alone).
func redial(m *mesh.Mesh, addrs []string) {
	if len(addrs) == 0 {
		return
	}
	for range 30 {
		done := true
		for _, a := range addrs {
			id := p2p.PeerID(a[strings.LastIndex(a, "/p2p/")+len("/p2p/"):])
			if slices.Contains(m.Peers(), id) {
				continue
			}
			done = false
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := m.Dial(ctx, a)
			cancel()
			if errors.Is(err, mesh.ErrClosed) {
				return
			}
		}
		if done {
			return
		}
		time.Sleep(time.Second)
	}
}

// startServicesLocked starts the protocols every mesh runs.
func (g *meshGlue) startServicesLocked(m *mesh.Mesh) {
	d := g.d
	sink := nodes.Sink{Root: d.node.Root, Mgr: g.nodesMgr, Limit: 5 * time.Second}
	intro := newIntroducer(sink, m, g.log)
	intro.seen = func(info messages.NodeInfo) {
		go g.observe(info.Vaults)
		if r := g.replication(); r != nil {
			r.driver.Wake()
		}
	}
	svc, err := hello.Start(m, func() messages.NodeInfo { return hello.SelfInfo(m, g.selfInfo()) }, intro,
		hello.Config{Interval: helloInterval, Logger: g.log.With("protocol", "hello")})
	if err != nil {
		g.log.Error("hello service did not start: peers will not learn about this node", "err", err)
	} else {
		g.hello = svc
	}
	g.stops = append(g.stops, speedtest.Serve(m, speedtest.Limits{}))
	g.repl.Store(d.startReplication(m, g.log.With("protocol", "replication")))
	if svc := d.startChat(m, g.log.With("protocol", "chat")); svc != nil {
		g.chat.Store(svc)
	}
	g.stops = append(g.stops, keyrotate.Serve(m,
		func(from p2p.PeerID, id string, k swarmkey.Key) (string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return g.nets.DecideRotation(ctx, string(from), id, k)
		},
		keyrotate.OnApplied(func(from p2p.PeerID, _ string, k swarmkey.Key) {
			// The pusher has its answer; follow it onto the new key off the stream's goroutine.
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if err := g.nets.FollowRotation(ctx, k); err != nil {
					g.log.Warn("follow a swarm key rotation", "from", from, "err", err)
				}
			}()
		})))
}

// Disconnect stops the P2P stack; the daemon stays up, offline.
func (g *meshGlue) Disconnect(context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m != nil {
		g.log.Info("mesh disconnected", "network", g.netID)
	}
	return g.stopLocked()
}

// stopLocked stops the services, then the stack (the directory sees every peer go).
func (g *meshGlue) stopLocked() error {
	if g.m == nil {
		return nil
	}
	for _, stop := range g.stops {
		stop()
	}
	g.stops = nil
	if r := g.repl.Swap(nil); r != nil {
		r.stop()
	}
	if c := g.chat.Swap(nil); c != nil {
		_ = c.Close()
	}
	if g.hello != nil {
		g.hello.Stop()
		g.hello = nil
	}
	err := g.m.Close()
	g.m, g.netID = nil, ""
	return err
}

// State reports the mesh now: connected, offline (a network is saved) or limited (none).
func (g *meshGlue) State() api.MeshState {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := api.MeshState{PeerID: g.d.peerID.String(), ListenAddrs: []string{}}
	if g.m != nil {
		st.State, st.NetworkID = api.MeshConnected, g.netID
		st.ListenAddrs = nonNil(g.m.Addrs())
		st.Peers = len(g.m.Peers())
		return st
	}
	st.State = api.MeshLimited
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if list, err := host.AskChild[messages.NetworkList](ctx, g.d.node.Root, g.nets.Mgr, messages.NetworkSelf, messages.ListNetworks{}, 5*time.Second); err == nil && len(list.Networks) > 0 {
		st.State = api.MeshOffline
	}
	return st
}

// PushSwarmKey sends key to every connected peer over /meshhold/swarmkey/1.0.
func (g *meshGlue) PushSwarmKey(ctx context.Context, networkID string, key swarmkey.Key) ([]string, map[string]string) {
	t := g.transport()
	if t == nil {
		return []string{}, map[string]string{}
	}
	return keyrotate.PushAll(ctx, t, networkID, key)
}

// replication is the running mesh's replication, nil when offline.
func (g *meshGlue) replication() *replication { return g.repl.Load() }

// Connected reports whether the mesh runs.
func (g *meshGlue) Connected() bool { return g.transport() != nil }

// Speedtest probes peer with the default limits.
func (g *meshGlue) Speedtest(ctx context.Context, peer string) (messages.SpeedResult, error) {
	t := g.transport()
	if t == nil {
		return messages.SpeedResult{}, messages.LimitedMode("the mesh is not connected")
	}
	return speedtest.Run(ctx, t, p2p.PeerID(peer), speedtest.Limits{})
}

// Traffic is the running mesh's byte totals (zero when offline: the ring takes it as a reset).
func (g *meshGlue) Traffic() (in, out uint64) {
	if t := g.transport(); t != nil {
		return t.Traffic()
	}
	return 0, 0
}

// selfInfo is this node's info without the mesh's fields.
func (g *meshGlue) selfInfo() messages.NodeInfo {
	g.selfMu.Lock()
	defer g.selfMu.Unlock()
	info := g.self
	info.Caps = slices.Clone(info.Caps)
	info.Vaults = slices.Clone(info.Vaults)
	return info
}

// refreshSelf reads the display name and the vault list again, tells the directory and, when
// the mesh runs, re-gossips: PUT /profile and vault changes reach peers at once.
func (g *meshGlue) refreshSelf(ctx context.Context) {
	// One at a time: each reads the registry and the profile as they are now, so the last
	// refresh to finish saw the last change (two racing ones could store a stale list).
	g.refreshMu.Lock()
	defer g.refreshMu.Unlock()
	d := g.d
	info := messages.NodeInfo{NodeID: d.peerID.String(), DisplayName: d.cfg.Node.Name, Version: version,
		Caps: []string{"vaults", "events"}, Reliable: d.cfg.Node.Reliable, StartedMs: d.started.UnixMilli()}
	if p, err := host.AskChild[messages.Profile](ctx, d.node.Root, d.profileMgr, messages.ProfileID, messages.GetProfile{}, askLimit); err == nil && p.DisplayName != "" {
		info.DisplayName = p.DisplayName
	}
	if list, err := host.AskChild[messages.VaultList](ctx, d.node.Root, d.registry, messages.RegistryID, messages.ListVaults{}, askLimit); err == nil {
		for _, v := range list.Vaults {
			if !v.Untrusted || v.Hold {
				info.Vaults = append(info.Vaults, v.ID)
			}
		}
		slices.Sort(info.Vaults)
	}
	g.selfMu.Lock()
	changed := !sameInfo(g.self, info)
	g.self = info
	g.selfMu.Unlock()
	self := info
	if t := g.transport(); t != nil {
		self = hello.SelfInfo(t, info)
	}
	d.node.Root.Send(g.nodesMgr.PID, host.To{ID: messages.NodesID, Msg: messages.UpdateSelf{Info: self}})
	g.mu.Lock()
	svc, repl := g.hello, g.repl.Load()
	g.mu.Unlock()
	if changed && svc != nil {
		svc.Announce()
	}
	if repl != nil {
		repl.driver.Wake() // a vault joined, observed or trusted here: pull it now
	}
}

// watchSelf refreshes this node's info whenever the profile or the vault list changes.
func (g *meshGlue) watchSelf() error {
	for _, typ := range []string{"profile_changed", "vault_created", "vault_deleted", "vault_observed"} {
		sub, err := g.d.bus.Subscribe(bus.TypeSubject(typ), func(bus.Msg) {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), askLimit)
				defer cancel()
				g.refreshSelf(ctx)
			}()
		})
		if err != nil {
			return fmt.Errorf("watch %s: %w", typ, err)
		}
		g.subs = append(g.subs, sub)
	}
	return nil
}

// close stops the mesh and the watchers.
func (g *meshGlue) close() {
	if g == nil {
		return
	}
	for _, s := range g.subs {
		_ = s.Unsubscribe()
	}
	g.subs = nil
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.stopLocked(); err != nil {
		g.log.Warn("close the mesh", "err", err)
	}
}

func sameInfo(a, b messages.NodeInfo) bool {
	return a.DisplayName == b.DisplayName && a.Reliable == b.Reliable && slices.Equal(a.Vaults, b.Vaults) && slices.Equal(a.Caps, b.Caps)
}

// isQUIC reports whether a listen address is one go-libp2p drops under a swarm key.
func isQUIC(addr string) bool {
	for _, w := range []string{"/quic", "/webtransport", "/webrtc"} {
		if strings.Contains(addr, w) {
			return true
		}
	}
	return false
}

// tcpOnly drops the addresses isQUIC names (warned about in Connect).
func tcpOnly(addrs []string) []string {
	return slices.DeleteFunc(slices.Clone(addrs), isQUIC)
}

// introducer is the directory's sink plus peer exchange: a node this one hears of but is not
// connected to is dialled at the addresses it announced, so nodes that bootstrapped from the
// same peer connect to each other directly (at most four dials at once, one per node).
type introducer struct {
	nodes.Sink
	t       p2p.Transport
	log     *slog.Logger
	mu      sync.Mutex
	dialing map[string]bool
	slots   chan struct{}
	seen    func(messages.NodeInfo) // observes the node's vaults, wakes replication
}

func newIntroducer(sink nodes.Sink, t p2p.Transport, log *slog.Logger) *introducer {
	return &introducer{Sink: sink, t: t, log: log, dialing: map[string]bool{}, slots: make(chan struct{}, 4)}
}

// Seen records the node, wakes replication (the node may hold a vault this one holds), then
// dials it when it is neither this node nor connected.
func (in *introducer) Seen(info messages.NodeInfo, via string) {
	in.Sink.Seen(info, via)
	if in.seen != nil {
		in.seen(info)
	}
	id := p2p.PeerID(info.NodeID)
	if id == in.t.Self() || len(info.ListenAddrs) == 0 || slices.Contains(in.t.Peers(), id) {
		return
	}
	in.mu.Lock()
	if in.dialing[info.NodeID] {
		in.mu.Unlock()
		return
	}
	in.dialing[info.NodeID] = true
	in.mu.Unlock()
	go func() {
		defer func() {
			in.mu.Lock()
			delete(in.dialing, info.NodeID)
			in.mu.Unlock()
		}()
		select {
		case in.slots <- struct{}{}:
			defer func() { <-in.slots }()
		default:
			return // busy: the next hello or gossip round tries again
		}
		for _, addr := range info.ListenAddrs {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := in.t.Dial(ctx, addr)
			cancel()
			if err == nil {
				in.log.Debug("connected to an introduced node", "peer", info.NodeID, "addr", addr)
				return
			}
		}
	}()
}
