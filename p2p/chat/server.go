package chat

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/wire"
)

// serve answers one catch-up stream: a heads question or a since request, for a room held here.
func (s *Service) serve(st p2p.Stream) {
	defer st.Close()
	if !s.served.Hold(st) {
		_ = st.Reset()
		return
	}
	defer s.served.Release(st)
	_ = st.SetDeadline(time.Now().Add(s.cfg.Timeout))
	select {
	case s.serveSem <- struct{}{}:
		defer func() { <-s.serveSem }()
	default:
		_ = writeKindJSON(st, kindError, refusal{Error: "busy", Busy: true})
		return
	}
	var req request
	if err := wire.ReadJSON(bufio.NewReader(st), MaxFrame, &req); err != nil {
		s.log.Debug("chat: bad request", "peer", st.Peer(), "err", err)
		_ = st.Reset()
		return
	}
	if !s.holds(req.Room) {
		s.stats.refusedRooms.Add(1)
		_ = writeKindJSON(st, kindError, refusal{Error: ErrNoRoom.Error(), NoRoom: true})
		return
	}
	w := bufio.NewWriter(st)
	var err error
	switch req.Op {
	case opHeads:
		err = s.serveHeads(w, req)
	case opSince:
		err = s.serveSince(w, st, req)
	default:
		err = writeKindJSON(w, kindError, refusal{Error: fmt.Sprintf("unknown op %q", req.Op)})
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		s.log.Debug("chat: answer", "peer", st.Peer(), "room", req.Room, "op", req.Op, "err", err)
		_ = st.Reset()
	}
}

// refuse ends an answer with err: no_room when the room is not held after all.
func refuse(w *bufio.Writer, err error) error {
	return writeKindJSON(w, kindError, refusal{Error: err.Error(), NoRoom: notHeld(err)})
}

func (s *Service) serveHeads(w *bufio.Writer, req request) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	defer cancel()
	st, err := s.cfg.Room.Status(ctx, req.Room)
	if err != nil {
		return refuse(w, err)
	}
	return writeKindJSON(w, kindHeads, Heads{Heads: st.Heads, Messages: st.Messages, LastTsMs: st.LastTsMs, Gaps: len(st.Gaps)})
}

// serveSince streams the envelopes the client lacks, page by page: after each page the heads
// it was asked from move past what the page held, so the next page starts where it ended.
func (s *Service) serveSince(w *bufio.Writer, st p2p.Stream, req request) error {
	limit := req.Limit
	if limit <= 0 || limit > MaxPull {
		limit = MaxPull
	}
	heads := maps.Clone(req.Heads)
	if heads == nil {
		heads = map[string]uint64{}
	}
	sent := 0
	for {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
		page, err := s.cfg.Room.Since(ctx, req.Room, heads, min(s.cfg.Page, limit-sent))
		cancel()
		if err != nil {
			return refuse(w, err)
		}
		for _, env := range page.Envelopes {
			if err := writeEnvelope(w, env); err != nil {
				return err
			}
			heads[env.Sender] = max(heads[env.Sender], env.Seq)
		}
		sent += len(page.Envelopes)
		s.stats.served.Add(uint64(len(page.Envelopes)))
		if !page.More || sent >= limit || len(page.Envelopes) == 0 {
			return writeKindJSON(w, kindDone, done{Sent: sent, More: page.More})
		}
		if err := w.Flush(); err != nil {
			return err
		}
		_ = st.SetDeadline(time.Now().Add(s.cfg.Timeout))
	}
}
