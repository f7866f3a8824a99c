// Package hello tells nodes about each other. On every new connection each side opens a
// /meshhold/hello/1.0 stream: it sends its NodeInfo, and the other side answers with its own
// and with the other online nodes it knows. Every node also publishes its NodeInfo on the
// meshhold/hello topic every Config.Interval, and at once when Announce is called (after
// PUT /profile). What arrives goes to a Sink, which the daemon implements by sending to the
// node directory actor (actors/nodes).
//
// Input from peers is bounded (MaxInfoBytes, MaxAnswerBytes, MaxKnown) and checked
// (messages.NodeInfo.Check, the sender is who the info names); whatever fails is logged and
// dropped.
package hello

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/wire"
)

// Protocol and Topic are the hello stream's protocol id and the gossip topic.
const (
	Protocol = wire.Hello
	Topic    = "meshhold/hello"
)

// Limits and defaults.
const (
	// DefaultInterval is how often a node re-gossips its info.
	DefaultInterval = 30 * time.Second
	// DefaultTimeout bounds one hello exchange.
	DefaultTimeout = 10 * time.Second
	// MaxInfoBytes bounds a hello request and a gossip message (one NodeInfo).
	MaxInfoBytes = 96 << 10
	// MaxAnswerBytes bounds a hello answer (the responder's info and the nodes it knows).
	MaxAnswerBytes = 1 << 20
	// MaxKnown bounds how many other nodes a hello answer introduces.
	MaxKnown = 256
	// attempts is how many times a node tries the hello exchange with a new peer.
	attempts = 3
)

// version is the envelope version this package writes.
const version = 1

// envelope is the JSON of a hello request, a hello answer (with Known) and a gossip message.
type envelope struct {
	V     int                 `json:"v"`
	Info  messages.NodeInfo   `json:"info"`
	Known []messages.NodeInfo `json:"known,omitempty"`
}

// Sink receives what the service learns. Connected, Disconnected, Seen and Announced are
// called from the transport's goroutines and must not block (send, don't ask); Known may ask,
// within ctx.
type Sink interface {
	// Connected: a direct connection to peer opened.
	Connected(peer p2p.PeerID)
	// Disconnected: the last connection to peer closed, or the service stopped.
	Disconnected(peer p2p.PeerID)
	// Seen: info arrived via messages.ViaHello, ViaGossip or ViaRelay.
	Seen(info messages.NodeInfo, via string)
	// Announced: this node's own info, each time it is gossiped.
	Announced(self messages.NodeInfo)
	// Known lists the online nodes to introduce in a hello answer.
	Known(ctx context.Context) []messages.NodeInfo
}

// Config configures a Service.
type Config struct {
	// Interval between re-gossips of this node's info (default DefaultInterval).
	Interval time.Duration
	// Timeout bounds one hello exchange (default DefaultTimeout).
	Timeout time.Duration
	// Retry is the wait before the second hello attempt, doubled before the third (default 1s).
	Retry time.Duration
	// Logger (default: discard).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Retry <= 0 {
		c.Retry = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Service runs the hello protocol and gossip on one transport, until Stop.
type Service struct {
	t        p2p.Transport
	self     func() messages.NodeInfo
	sink     Sink
	cfg      Config
	log      *slog.Logger
	topic    p2p.Topic
	ctx      context.Context
	cancel   context.CancelFunc
	announce chan struct{}
	wg       sync.WaitGroup

	mu      sync.Mutex
	stopped bool
	peers   map[p2p.PeerID]bool // reported Connected and not yet Disconnected
	unwatch func()
	unsub   func()
}

// Start serves the hello protocol on t, joins the hello topic, reports the peers connected now
// and from now on to sink, greets each, and gossips self() at once and every cfg.Interval.
// self is called, from several goroutines at once, for every hello and gossip; SelfInfo fills
// in what the transport knows, the service numbers each info (NodeInfo.Seq).
func Start(t p2p.Transport, self func() messages.NodeInfo, sink Sink, cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	var seq atomic.Uint64
	numbered := func() messages.NodeInfo {
		info := self()
		info.Seq = seq.Add(1) // taken after the info: a later info never gets a lower Seq
		return info
	}
	s := &Service{t: t, self: numbered, sink: sink, cfg: cfg, log: cfg.Logger, ctx: ctx, cancel: cancel,
		announce: make(chan struct{}, 1), peers: map[p2p.PeerID]bool{}}
	topic, err := t.Join(Topic)
	if err != nil {
		cancel()
		return nil, err
	}
	s.topic = topic
	if s.unsub, err = topic.Subscribe(s.onGossip); err != nil {
		cancel()
		_ = topic.Close()
		return nil, err
	}
	t.SetStreamHandler(Protocol, s.handle)
	s.mu.Lock()
	s.unwatch = t.WatchPeers(s.onPeer)
	s.mu.Unlock()
	for _, p := range t.Peers() {
		s.onPeer(p2p.PeerEvent{Peer: p, Connected: true})
	}
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

// Announce gossips this node's info now (the daemon calls it after PUT /profile); it never
// blocks, and calls close together coalesce.
func (s *Service) Announce() {
	select {
	case s.announce <- struct{}{}:
	default:
	}
}

// Stop leaves the topic, stops serving the protocol, ends every goroutine of the service and
// reports every peer it reported connected as disconnected, so the directory shows the mesh
// gone.
func (s *Service) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	peers := make([]p2p.PeerID, 0, len(s.peers))
	for p := range s.peers {
		peers = append(peers, p)
	}
	s.peers = map[p2p.PeerID]bool{}
	unwatch := s.unwatch
	s.mu.Unlock()
	if unwatch != nil {
		unwatch()
	}
	s.unsub()
	s.t.RemoveStreamHandler(Protocol)
	_ = s.topic.Close()
	s.cancel()
	s.wg.Wait()
	slices.Sort(peers)
	for _, p := range peers {
		s.sink.Disconnected(p)
	}
}

// onPeer runs on the transport's goroutine: it reports the event and starts a greeting.
func (s *Service) onPeer(ev p2p.PeerEvent) {
	s.mu.Lock()
	if s.stopped || s.peers[ev.Peer] == ev.Connected || ev.Peer == s.t.Self() {
		s.mu.Unlock()
		return
	}
	if !ev.Connected {
		delete(s.peers, ev.Peer)
		s.mu.Unlock()
		s.sink.Disconnected(ev.Peer)
		s.Announce() // this node's peers changed: the mesh's topology follows at once
		return
	}
	s.peers[ev.Peer] = true
	s.wg.Add(1)
	s.mu.Unlock()
	s.sink.Connected(ev.Peer)
	s.Announce()
	go s.greet(ev.Peer)
}

// connected reports whether peer is still connected as far as the service knows.
func (s *Service) connected(peer p2p.PeerID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peers[peer]
}

// loop gossips this node's info at once, every Interval and on Announce.
func (s *Service) loop() {
	defer s.wg.Done()
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	for {
		s.publish()
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		case <-s.announce:
		}
	}
}

func (s *Service) publish() {
	info := s.self()
	if err := info.Check(); err != nil {
		s.log.Error("hello: this node's own info is invalid; not gossiping it", "err", err)
		return
	}
	s.sink.Announced(info)
	data, err := json.Marshal(envelope{V: version, Info: info})
	if err != nil || len(data) > MaxInfoBytes {
		s.log.Error("hello: this node's own info does not fit a gossip message", "bytes", len(data), "err", err)
		return
	}
	if err := s.topic.Publish(s.ctx, data); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Warn("hello: gossip", "err", err)
	}
}

// onGossip runs on the transport's goroutine: it checks a gossiped info and passes it on.
func (s *Service) onGossip(m p2p.Message) {
	if len(m.Data) > MaxInfoBytes {
		s.log.Warn("hello: dropped an oversized gossip message", "peer", m.From, "bytes", len(m.Data))
		return
	}
	env, err := decode(m.Data)
	if err == nil && m.From != "" && p2p.PeerID(env.Info.NodeID) != m.From {
		err = errors.New("the info names another node than its sender")
	}
	if err != nil {
		s.log.Warn("hello: dropped a gossip message", "peer", m.From, "err", err)
		return
	}
	if p2p.PeerID(env.Info.NodeID) == s.t.Self() {
		return
	}
	s.sink.Seen(env.Info, messages.ViaGossip)
}

// decode parses an envelope and checks its info.
func decode(data []byte) (envelope, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return env, err
	}
	if env.V < version {
		return env, errors.New("no envelope version")
	}
	return env, env.Info.Check()
}
