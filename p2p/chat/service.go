package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
)

// Service carries the envelopes of every room held here: it serves catch-up streams, keeps one
// gossip topic per room, hands what arrives to the Room in batches and pulls what is missing.
type Service struct {
	cfg    Config
	t      p2p.Transport
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	pullSem  chan struct{}
	serveSem chan struct{}
	wake     chan struct{}
	unwatch  func()
	stats    counters

	mu     sync.Mutex
	closed bool
	rooms  map[string]*roomLink
	fail   map[p2p.PeerID]backoff
	served p2p.Served // the catch-up streams being answered
}

type backoff struct {
	n     int
	until time.Time
}

// Start serves /meshhold/chat/1.0 on cfg.Transport, joins the topics of the rooms cfg.Room
// lists and runs an anti-entropy round at once and every Interval, until Close.
func Start(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Service{
		cfg: cfg, t: cfg.Transport, log: cfg.Log,
		pullSem: make(chan struct{}, cfg.MaxPulls), serveSem: make(chan struct{}, cfg.MaxServe),
		wake:  make(chan struct{}, 1),
		rooms: map[string]*roomLink{}, fail: map[p2p.PeerID]backoff{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.t.SetStreamHandler(Protocol, s.serve)
	s.unwatch = s.t.WatchPeers(s.onPeer)
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

// Close leaves every topic, stops serving (resetting the streams being served) and returns
// once every goroutine of the service has.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.cancel()
	s.t.RemoveStreamHandler(Protocol)
	for _, id := range slices.Sorted(maps.Keys(s.rooms)) {
		s.rooms[id].leave()
	}
	s.rooms = map[string]*roomLink{}
	s.mu.Unlock()
	s.served.Stop()
	s.unwatch()
	s.wg.Wait()
	return nil
}

// Sync makes the rooms held here exactly rooms (joined and relayed): it joins the topics of
// new ones, with a catch-up against every holder, and leaves the others. The daemon calls it
// when the registry changes; each anti-entropy round also syncs to Room.Rooms.
func (s *Service) Sync(rooms []string) error {
	want := map[string]bool{}
	for _, id := range rooms {
		want[id] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	for _, id := range slices.Sorted(maps.Keys(s.rooms)) {
		if !want[id] {
			s.rooms[id].leave()
			delete(s.rooms, id)
		}
	}
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(want)) {
		if _, err := s.joinLocked(id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Held lists the rooms held here now, sorted.
func (s *Service) Held() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.rooms))
}

// Publish gossips env, which the room actor has stored (ChatSent.Envelope), to the room's
// other holders; a room not held yet is joined first. Gossip may lose it: holders that miss
// it pull it when a later envelope reveals the gap, or at the next round.
func (s *Service) Publish(ctx context.Context, env messages.ChatEnvelope) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	r, err := s.joinLocked(env.RoomID)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := r.topic.Publish(ctx, env.Marshal()); err != nil {
		return fmt.Errorf("chat: publish to room %s: %w", env.RoomID, err)
	}
	s.stats.published.Add(1)
	return nil
}

// PublishReceipt gossips this node's read receipt (RoomStatus.Receipt of a MarkRead) to the
// room's other members; best effort, like every receipt.
func (s *Service) PublishReceipt(ctx context.Context, rc messages.ChatReceipt) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	r, err := s.joinLocked(rc.RoomID)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := r.topic.Publish(ctx, rc.Marshal()); err != nil {
		return fmt.Errorf("chat: publish a read receipt to room %s: %w", rc.RoomID, err)
	}
	return nil
}

// Wake asks for an anti-entropy round now; calls close together coalesce.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// ErrClosed answers calls on a closed Service.
var ErrClosed = errors.New("chat: service closed")

// holds reports whether room is held here.
func (s *Service) holds(room string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[room] != nil
}

// loop runs a round at once, then every Interval or on Wake, until Close.
func (s *Service) loop() {
	defer s.wg.Done()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
		s.round()
		t.Reset(s.cfg.Interval)
	}
}

// round syncs the held rooms to Room.Rooms and asks each room to compare heads with every
// holder.
func (s *Service) round() {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	rooms, err := s.cfg.Room.Rooms(ctx)
	cancel()
	switch {
	case s.ctx.Err() != nil:
		return
	case err != nil:
		s.log.Warn("chat: list rooms", "err", err) // keep the rooms held
	default:
		if err := s.Sync(rooms); err != nil && !errors.Is(err, ErrClosed) {
			s.log.Warn("chat: join rooms", "err", err)
		}
	}
	s.stats.rounds.Add(1)
	s.each(func(r *roomLink) { r.request(job{all: true}) })
}

// onPeer compares heads with a peer that connects, in every room; it runs on the transport's
// delivery goroutine, so it only queues the work.
func (s *Service) onPeer(ev p2p.PeerEvent) {
	if !ev.Connected {
		return
	}
	s.ok(ev.Peer) // a peer that comes back is asked at once
	s.each(func(r *roomLink) { r.request(job{check: []p2p.PeerID{ev.Peer}}) })
}

// each calls fn for every held room.
func (s *Service) each(fn func(*roomLink)) {
	s.mu.Lock()
	rooms := make([]*roomLink, 0, len(s.rooms))
	for _, id := range slices.Sorted(maps.Keys(s.rooms)) {
		rooms = append(rooms, s.rooms[id])
	}
	s.mu.Unlock()
	for _, r := range rooms {
		fn(r)
	}
}

// holders lists the peers that may hold room: the topic's peers when the transport knows
// them, else every connected peer (one that does not hold it refuses, at no cost but a stream).
func (s *Service) holders(r *roomLink) []p2p.PeerID {
	if tp, ok := r.topic.(interface{ Peers() []p2p.PeerID }); ok {
		return tp.Peers()
	}
	return s.t.Peers()
}

func (s *Service) due(peer p2p.PeerID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !time.Now().Before(s.fail[peer].until)
}

func (s *Service) ok(peer p2p.PeerID) {
	s.mu.Lock()
	delete(s.fail, peer)
	s.mu.Unlock()
}

// failed doubles the delay before peer is asked again, from 1 s up to MaxBackoff.
func (s *Service) failed(peer p2p.PeerID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.fail[peer]
	b.n++
	b.until = time.Now().Add(min(time.Second<<min(b.n-1, 20), s.cfg.MaxBackoff))
	s.fail[peer] = b
}

// Stats counts what the service did since Start.
type Stats struct {
	Published  uint64 `json:"published"`   // envelopes gossiped from here
	Gossiped   uint64 `json:"gossiped"`    // envelopes received by gossip, handed to Receive
	Pulled     uint64 `json:"pulled"`      // envelopes received on catch-up streams
	Added      uint64 `json:"added"`       // of both, new to the room (Receive's Added)
	Duplicate  uint64 `json:"duplicate"`   // of both, already held
	Rejected   uint64 `json:"rejected"`    // of both, refused by the room
	Malformed  uint64 `json:"malformed"`   // gossip messages that were not an envelope of the topic's room
	Overflow   uint64 `json:"overflow"`    // gossip envelopes dropped because the room's inbox was full
	Pulls      uint64 `json:"pulls"`       // catch-up streams opened (heads questions apart)
	PullErrors uint64 `json:"pull_errors"` // heads questions and catch-ups that failed (refusals apart)
	NotHolder  uint64 `json:"not_holder"`  // questions a peer refused as it does not hold the room
	Refused    uint64 `json:"refused"`     // questions refused here for a room not held
	Served     uint64 `json:"served"`      // envelopes sent to peers on catch-up streams
	Rounds     uint64 `json:"rounds"`      // anti-entropy rounds
}

type counters struct {
	published, gossiped, pulled, added, duplicate, rejected, malformed, overflow atomic.Uint64
	pulls, pullErrors, notHolder, refusedRooms, served, rounds                   atomic.Uint64
}

// Stats is a snapshot of the counters.
func (s *Service) Stats() Stats {
	c := &s.stats
	return Stats{
		Published: c.published.Load(), Gossiped: c.gossiped.Load(), Pulled: c.pulled.Load(),
		Added: c.added.Load(), Duplicate: c.duplicate.Load(), Rejected: c.rejected.Load(),
		Malformed: c.malformed.Load(), Overflow: c.overflow.Load(), Pulls: c.pulls.Load(),
		PullErrors: c.pullErrors.Load(), NotHolder: c.notHolder.Load(), Refused: c.refusedRooms.Load(),
		Served: c.served.Load(), Rounds: c.rounds.Load(),
	}
}
