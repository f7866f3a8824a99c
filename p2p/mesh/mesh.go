package mesh

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"
	"github.com/libp2p/go-libp2p/p2p/host/eventbus"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// Mesh is one libp2p host in the private network of its swarm key; it implements p2p.Transport.
type Mesh struct {
	cfg    Config
	log    *slog.Logger
	h      host.Host
	self   peer.ID
	ps     *pubsub.PubSub
	cm     *connmgr.BasicConnMgr
	bw     *traffic
	keep   *keeper
	mdns   interface{ Close() error }
	ctx    context.Context // cancelled by Close: stops every goroutine of ours
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	topics   map[string]*topic
	watchers []*watcher

	closeOnce sync.Once
	closeErr  error
}

var _ p2p.Transport = (*Mesh)(nil)

// Start starts the host: it listens, joins GossipSub, dials the bootstrap peers and keeps them
// connected in the background (Start does not wait for them), and starts mDNS when asked.
func Start(cfg Config) (*Mesh, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	listen := make([]ma.Multiaddr, 0, len(cfg.ListenAddrs))
	for _, a := range cfg.ListenAddrs {
		m, _ := parseListenAddr(a) // checked by Validate
		listen = append(listen, m)
	}
	key, _ := swarmkey.FromBytes(cfg.PSK)
	log := cfg.Logger.With("subsystem", "mesh")

	cm, err := connmgr.NewConnManager(cfg.ConnLow, cfg.ConnHigh)
	if err != nil {
		return nil, fmt.Errorf("mesh: connection manager: %w", err)
	}
	limits := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&limits)
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()))
	if err != nil {
		_ = cm.Close()
		return nil, fmt.Errorf("mesh: resource manager: %w", err)
	}
	bw := newTraffic()
	opts := []libp2p.Option{
		libp2p.Identity(cfg.PrivKey),
		libp2p.PrivateNetwork(pnet.PSK(cfg.PSK)),
		libp2p.ListenAddrs(listen...),
		libp2p.NoTransports, // then TCP alone: QUIC and the browser transports do not work with a PSK
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ConnectionManager(cm),
		libp2p.ResourceManager(rm),
		libp2p.BandwidthReporter(bw),
		libp2p.DisableRelay(),
		libp2p.UserAgent("meshhold"),
	}
	if cfg.NoListen {
		opts = append(opts, libp2p.NoListenAddrs)
	}
	if cfg.Registerer != nil {
		opts = append(opts, libp2p.PrometheusRegisterer(cfg.Registerer))
	} else {
		opts = append(opts, libp2p.DisableMetrics())
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("mesh: start libp2p host: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Mesh{
		cfg: cfg, log: log, h: h, self: h.ID(), cm: cm, bw: bw,
		ctx: ctx, cancel: cancel, topics: map[string]*topic{},
	}
	// Subscribe before the first dial, so no connection goes unseen.
	sub, err := h.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged), eventbus.BufSize(256), eventbus.Name("meshhold/mesh"))
	if err != nil {
		return nil, m.failStart(fmt.Errorf("mesh: subscribe to peer events: %w", err))
	}
	m.ps, err = pubsub.NewGossipSub(ctx, h,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictSign),
		pubsub.WithLogger(log.With("component", "gossipsub")))
	if err != nil {
		_ = sub.Close()
		return nil, m.failStart(fmt.Errorf("mesh: start gossipsub: %w", err))
	}
	m.keep = newKeeper(m)
	m.wg.Add(3)
	go m.eventLoop(sub)
	go m.keep.loop()
	go m.maintain()
	if err := m.SetBootstrap(cfg.Bootstrap); err != nil { // checked by Validate
		return nil, m.failStart(err)
	}
	if cfg.MDNS {
		m.startMDNS()
	}
	log.Info("mesh started", "peer", m.self.String(), "addrs", m.Addrs(),
		"psk_fingerprint", key.Fingerprint(), "bootstrap", len(cfg.Bootstrap), "mdns", cfg.MDNS)
	return m, nil
}

// failStart closes what Start opened and returns err.
func (m *Mesh) failStart(err error) error {
	_ = m.Close()
	return err
}

// Host is the libp2p host, for tests and advanced use; prefer the p2p.Transport methods.
func (m *Mesh) Host() host.Host { return m.h }

// Self is this node's peer id.
func (m *Mesh) Self() p2p.PeerID { return p2p.PeerID(m.self.String()) }

// Close stops the keeper, mDNS and gossip, closes every connection and the host, and waits for
// the goroutines it started. Watchers and subscriptions hear nothing more. Close is idempotent.
func (m *Mesh) Close() error {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.closed = true
		topics := m.topics
		m.topics, m.watchers = nil, nil
		m.mu.Unlock()
		m.cancel()
		if m.mdns != nil {
			_ = m.mdns.Close()
		}
		for _, t := range topics {
			t.stop()
		}
		m.closeErr = m.h.Close()
		m.wg.Wait()
		m.log.Info("mesh closed", "peer", m.self.String())
	})
	return m.closeErr
}

// goTracked runs f on a goroutine Close waits for, unless the mesh is closing.
func (m *Mesh) goTracked(f func()) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
	return true
}

// isClosed reports whether Close has begun.
func (m *Mesh) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// Addrs lists where other nodes can dial this one, each ending in /p2p/<id>: the listen
// addresses with 0.0.0.0 expanded to every interface address, loopback included, sorted.
func (m *Mesh) Addrs() []string {
	suffix := "/p2p/" + m.self.String()
	var out []string
	for _, a := range m.h.Addrs() {
		out = append(out, a.String()+suffix)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
