package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
)

// roomLink is one held room: its topic and subscription, the inbox of envelopes gossip brought,
// and the sync work wanted, each drained by a goroutine of its own.
type roomLink struct {
	s      *Service
	id     string
	topic  p2p.Topic
	unsub  func()
	ctx    context.Context
	cancel context.CancelFunc
	inbox  chan inbound
	reads  chan inboundReceipt
	jobs   jobQueue
}

// inboundReceipt is one read receipt gossip brought.
type inboundReceipt struct {
	rc   messages.ChatReceipt
	from p2p.PeerID
}

// receiptInbox bounds the receipts waiting for the room; past it they are dropped (the next
// receipt of the same reader supersedes a lost one).
const receiptInbox = 64

// inbound is one envelope gossip brought and the peer that delivered it.
type inbound struct {
	env  messages.ChatEnvelope
	from p2p.PeerID
}

// joinLocked returns room's link, joining its topic and starting its goroutines the first
// time, with a catch-up against every holder; s.mu is held.
func (s *Service) joinLocked(room string) (*roomLink, error) {
	if r := s.rooms[room]; r != nil {
		return r, nil
	}
	if room == "" {
		return nil, fmt.Errorf("chat: join: empty room id")
	}
	t, err := s.t.Join(Topic(room))
	if err != nil {
		return nil, fmt.Errorf("chat: join room %s: %w", room, err)
	}
	r := &roomLink{s: s, id: room, topic: t, inbox: make(chan inbound, s.cfg.Inbox), reads: make(chan inboundReceipt, receiptInbox)}
	r.jobs.kick = make(chan struct{}, 1)
	r.ctx, r.cancel = context.WithCancel(s.ctx)
	if r.unsub, err = t.Subscribe(r.onGossip); err != nil {
		_ = t.Close()
		r.cancel()
		return nil, fmt.Errorf("chat: subscribe to room %s: %w", room, err)
	}
	s.rooms[room] = r
	s.wg.Add(2)
	go r.receiveLoop()
	go r.syncLoop()
	r.request(job{all: true})
	return r, nil
}

// leave unsubscribes, leaves the topic and stops the room's goroutines.
func (r *roomLink) leave() {
	r.unsub()
	if err := r.topic.Close(); err != nil {
		r.s.log.Debug("chat: leave topic", "room", r.id, "err", err)
	}
	r.cancel()
}

// onGossip queues one gossip message for the room; it runs on the transport's delivery
// goroutine and never blocks: a full inbox drops the envelope and asks for a sync instead.
func (r *roomLink) onGossip(m p2p.Message) {
	if messages.IsChatReceipt(m.Data) {
		rc, err := messages.UnmarshalChatReceipt(m.Data)
		if err != nil || rc.RoomID != r.id {
			r.s.stats.malformed.Add(1)
			return
		}
		select {
		case r.reads <- inboundReceipt{rc: rc, from: m.From}:
		default:
			r.s.stats.overflow.Add(1)
		}
		return
	}
	env, err := messages.UnmarshalChatEnvelope(m.Data)
	if err != nil || env.RoomID != r.id {
		r.s.stats.malformed.Add(1)
		r.s.log.Debug("chat: dropped a gossip message that is not an envelope of the room", "room", r.id, "peer", m.From)
		return
	}
	select {
	case r.inbox <- inbound{env: env, from: m.From}:
	default:
		r.s.stats.overflow.Add(1)
		r.request(job{first: []p2p.PeerID{m.From}, gap: true})
	}
}

// receiveLoop hands the inbox to the Room in batches: the first envelope waits up to Linger
// for more, at most Batch to one Receive.
func (r *roomLink) receiveLoop() {
	defer r.s.wg.Done()
	for {
		select {
		case <-r.ctx.Done():
			return
		case in := <-r.inbox:
			batch, ok := r.fill([]inbound{in})
			if !ok {
				return
			}
			r.receive(batch)
		case in := <-r.reads:
			ctx, cancel := context.WithTimeout(r.ctx, r.s.cfg.Timeout)
			err := r.s.cfg.Room.Receipt(ctx, r.id, in.from, in.rc)
			cancel()
			if err != nil && r.ctx.Err() == nil && !notHeld(err) {
				r.s.log.Debug("chat: read receipt refused", "room", r.id, "peer", in.from, "reader", in.rc.Reader, "err", err)
			}
		}
	}
}

// fill adds to batch what arrives within Linger (what is waiting already, with no linger),
// up to Batch; false when the room is left meanwhile. A lone envelope (nothing else waiting)
// goes on at once: a quiet room pays no linger, and a busy one still batches, since envelopes
// queue while the previous batch commits.
func (r *roomLink) fill(batch []inbound) ([]inbound, bool) {
	cfg := r.s.cfg
	if cfg.Linger < 0 || len(r.inbox) == 0 {
		for len(batch) < cfg.Batch {
			select {
			case in := <-r.inbox:
				batch = append(batch, in)
			default:
				return batch, true
			}
		}
		return batch, true
	}
	timer := time.NewTimer(cfg.Linger)
	defer timer.Stop()
	for len(batch) < cfg.Batch {
		select {
		case <-r.ctx.Done():
			return nil, false
		case in := <-r.inbox:
			batch = append(batch, in)
		case <-timer.C:
			return batch, true
		}
	}
	return batch, true
}

// receive hands one batch to the Room; a gap it reveals (or a failure) asks for a pull from
// the peers that delivered the batch first.
func (r *roomLink) receive(batch []inbound) {
	s := r.s
	envs := make([]messages.ChatEnvelope, len(batch))
	var froms []p2p.PeerID
	seen := map[p2p.PeerID]bool{}
	for i, in := range batch {
		envs[i] = in.env
		if !seen[in.from] {
			seen[in.from] = true
			froms = append(froms, in.from)
		}
	}
	s.stats.gossiped.Add(uint64(len(envs)))
	ctx, cancel := context.WithTimeout(r.ctx, s.cfg.Timeout)
	res, err := s.cfg.Room.Receive(ctx, r.id, froms[0], envs)
	cancel()
	switch {
	case r.ctx.Err() != nil || notHeld(err):
		return
	case err != nil:
		s.log.Warn("chat: receive gossip", "room", r.id, "peer", froms[0], "n", len(envs), "err", err)
		r.request(job{first: froms, gap: true})
		return
	}
	s.count(res)
	if len(res.Gaps) > 0 {
		r.request(job{first: froms, gap: true})
	}
}

// count adds one Receive's answer to the counters.
func (s *Service) count(res messages.ChatReceived) {
	s.stats.added.Add(uint64(res.Added))
	s.stats.duplicate.Add(uint64(res.Duplicate))
	s.stats.rejected.Add(uint64(res.Rejected))
	if res.Rejected > 0 {
		s.log.Debug("chat: envelopes rejected", "n", res.Rejected, "reasons", res.Reasons)
	}
}
