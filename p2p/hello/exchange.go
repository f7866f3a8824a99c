package hello

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/wire"
)

// greet runs the hello exchange with a newly connected peer, retrying twice with backoff while
// the peer stays connected.
func (s *Service) greet(peer p2p.PeerID) {
	defer s.wg.Done()
	wait := s.cfg.Retry
	for attempt := 1; ; attempt++ {
		info, known, err := s.exchange(peer)
		if err == nil {
			s.sink.Seen(info, messages.ViaHello)
			for _, k := range known {
				s.sink.Seen(k, messages.ViaRelay)
			}
			return
		}
		if s.ctx.Err() != nil {
			return
		}
		s.log.Debug("hello: exchange failed", "peer", peer, "attempt", attempt, "err", err)
		if attempt == attempts {
			s.log.Warn("hello: no hello from peer; its info will come by gossip", "peer", peer, "err", err)
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(wait):
		}
		if !s.connected(peer) {
			return
		}
		wait *= 2
	}
}

// exchange opens a hello stream to peer, sends this node's info and reads the answer.
func (s *Service) exchange(peer p2p.PeerID) (messages.NodeInfo, []messages.NodeInfo, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	defer cancel()
	st, err := s.t.OpenStream(ctx, peer, Protocol)
	if err != nil {
		return messages.NodeInfo{}, nil, err
	}
	defer context.AfterFunc(ctx, func() { _ = st.Reset() })()
	_ = st.SetDeadline(time.Now().Add(s.cfg.Timeout))
	req, err := json.Marshal(envelope{V: version, Info: s.self()})
	if err != nil {
		_ = st.Reset()
		return messages.NodeInfo{}, nil, err
	}
	if err := wire.WriteFrame(st, req); err != nil {
		_ = st.Reset()
		return messages.NodeInfo{}, nil, err
	}
	_ = st.CloseWrite()
	raw, err := wire.ReadFrame(st, MaxAnswerBytes)
	if err != nil {
		_ = st.Reset()
		return messages.NodeInfo{}, nil, err
	}
	_ = st.Close()
	env, err := decode(raw)
	if err == nil && p2p.PeerID(env.Info.NodeID) != peer {
		err = errors.New("the answer names another node than the peer")
	}
	if err != nil {
		return messages.NodeInfo{}, nil, fmt.Errorf("malformed hello answer: %w", err)
	}
	return env.Info, s.filterKnown(env.Known, peer), nil
}

// handle answers a hello stream: it reads the peer's info, answers with this node's info and
// the online nodes the sink knows, and passes the peer's info on.
func (s *Service) handle(st p2p.Stream) {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		_ = st.Reset()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	defer cancel()
	defer context.AfterFunc(ctx, func() { _ = st.Reset() })()
	_ = st.SetDeadline(time.Now().Add(s.cfg.Timeout))
	peer := st.Peer()
	raw, err := wire.ReadFrame(st, MaxInfoBytes)
	var env envelope
	if err == nil {
		env, err = decode(raw)
	}
	if err == nil && p2p.PeerID(env.Info.NodeID) != peer {
		err = errors.New("the hello names another node than the peer")
	}
	if err != nil {
		s.log.Warn("hello: dropped a malformed hello", "peer", peer, "err", err)
		_ = st.Reset()
		return
	}
	s.sink.Seen(env.Info, messages.ViaHello)
	answer, err := s.answer(ctx, peer)
	if err == nil {
		err = wire.WriteFrame(st, answer)
	}
	if err != nil {
		s.log.Debug("hello: answer", "peer", peer, "err", err)
		_ = st.Reset()
		return
	}
	_ = st.Close()
}

// answer encodes this node's info and as many known nodes as fit MaxAnswerBytes.
func (s *Service) answer(ctx context.Context, peer p2p.PeerID) ([]byte, error) {
	known := s.filterKnown(s.sink.Known(ctx), peer)
	env := envelope{V: version, Info: s.self()}
	data, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	size := len(data) + len(`,"known":[]`)
	for _, k := range known {
		b, err := json.Marshal(k)
		if err != nil || size+len(b)+1 > MaxAnswerBytes {
			break
		}
		size += len(b) + 1
		env.Known = append(env.Known, k)
	}
	if len(env.Known) == 0 {
		return data, nil
	}
	return json.Marshal(env)
}

// filterKnown keeps the valid infos of nodes other than this one and peer, at most MaxKnown,
// without their peer links (stale once relayed).
func (s *Service) filterKnown(known []messages.NodeInfo, peer p2p.PeerID) []messages.NodeInfo {
	out := make([]messages.NodeInfo, 0, min(len(known), MaxKnown))
	for _, k := range known {
		id := p2p.PeerID(k.NodeID)
		if id == s.t.Self() || id == peer || k.Check() != nil {
			continue
		}
		k.Peers = nil
		if out = append(out, k); len(out) == MaxKnown {
			break
		}
	}
	return out
}
