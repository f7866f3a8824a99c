package stream

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Comments of the stream.
var (
	connectedFrame = []byte(": connected\n\n")
	keepaliveFrame = []byte(": keepalive\n\n")
)

// Limits of one write: events already queued are written together, then flushed once.
const (
	maxBatchEvents = 64
	maxBatchBytes  = 64 << 10
)

// session is one client's response.
type session struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	ctx       context.Context
	c         *Client
	log       *slog.Logger
	keepalive time.Duration
	halt      chan struct{} // closed by the watcher when the client is ended or goes away
	quit      chan struct{}
	watcher   sync.WaitGroup
}

// newSession starts the watcher that, once the client is ended (too slow, or the broadcaster
// closed), moves the connection's write deadline to now: a stuck write fails, the handler
// returns promptly whatever the peer does, and net/http closes the connection instead of
// reusing it (its final flush fails too).
func newSession(w http.ResponseWriter, r *http.Request, c *Client, keepalive time.Duration) *session {
	s := &session{w: w, rc: http.NewResponseController(w), ctx: r.Context(), c: c, log: c.bc.log,
		keepalive: keepalive, halt: make(chan struct{}), quit: make(chan struct{})}
	s.watcher.Add(1)
	go func() {
		defer s.watcher.Done()
		select {
		case <-c.Done():
			_ = s.rc.SetWriteDeadline(time.Now())
			close(s.halt)
		case <-s.ctx.Done():
			close(s.halt)
		case <-s.quit:
		}
	}()
	return s
}

// stop ends the watcher before the handler returns (the response is not to be touched after).
func (s *session) stop() {
	close(s.quit)
	s.watcher.Wait()
}

// alive reports whether neither the client nor the broadcaster has ended the stream.
func (s *session) alive() bool {
	select {
	case <-s.halt:
		return false
	default:
		return true
	}
}

// begin sends the headers and ": connected" at once.
func (s *session) begin() error {
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Set("X-Content-Type-Options", "nosniff")
	s.w.WriteHeader(http.StatusOK)
	return s.send(connectedFrame)
}

// send writes b and flushes.
func (s *session) send(b []byte) error {
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

// live streams queued events above floor until the client goes away or is ended. The idle
// timer is not reset per write: when it fires early it is re-armed for the rest of the silence.
func (s *session) live(floor uint64) {
	idle := time.NewTimer(s.keepalive)
	defer idle.Stop()
	last := time.Now()
	for {
		select {
		case ev := <-s.c.Events():
			if err := s.sendBatch(ev, floor); err != nil {
				return
			}
			last = time.Now()
		case now := <-idle.C:
			if quiet := now.Sub(last); quiet < s.keepalive {
				idle.Reset(s.keepalive - quiet)
				continue
			}
			if err := s.send(keepaliveFrame); err != nil {
				return
			}
			last = now
			idle.Reset(s.keepalive)
		case <-s.halt:
			return
		}
	}
}

// sendBatch writes ev and whatever else is already queued (bounded), skipping events at or
// below floor (already replayed), then flushes once.
func (s *session) sendBatch(ev *Event, floor uint64) error {
	n, size := 0, 0
	for {
		if ev.LogSeq > floor {
			if _, err := s.w.Write(ev.Frame); err != nil {
				return err
			}
			n, size = n+1, size+len(ev.Frame)
		}
		if n >= maxBatchEvents || size >= maxBatchBytes {
			break
		}
		select {
		case ev = <-s.c.Events():
			continue
		default:
		}
		break
	}
	if n == 0 {
		return nil
	}
	return s.rc.Flush()
}
