package stream

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/eventv1"
)

// DefaultKeepalive is how long a stream may stay silent before ": keepalive" is sent.
const DefaultKeepalive = 20 * time.Second

// Config tunes the stream handler.
type Config struct {
	// Keepalive is the longest silence before a ": keepalive" comment (DefaultKeepalive when 0).
	Keepalive time.Duration
	// QueueSize is how many events a client may have waiting before it is disconnected
	// (DefaultQueueSize when 0).
	QueueSize int
}

// EventLogReader reads the committed event log; host.EventLog implements it.
type EventLogReader interface {
	// Read calls fn for each event with log_seq > after, in order, at most limit of them, and
	// returns the oldest log_seq retained (0 when empty) and the newest ever assigned.
	Read(after uint64, limit int, fn func(*eventv1.Event) bool) (oldest, newest uint64, err error)
}

// Route is the route-table row of the stream: GET /events/stream, bearer or ?token=.
func Route(cfg Config, bc *Broadcaster, log EventLogReader) api.Route {
	return api.Route{Method: http.MethodGet, Pattern: "/events/stream", Access: api.BearerOrQueryToken,
		Handler: Handler(cfg, bc, log)}
}

// Handler serves GET /events/stream: live events, filtered by ?types=, resumed after
// Last-Event-ID (or ?last_event_id=) from log. It panics when bc or log is nil.
func Handler(cfg Config, bc *Broadcaster, log EventLogReader) http.HandlerFunc {
	if bc == nil || log == nil {
		panic("stream: Handler needs a broadcaster and an event log")
	}
	if cfg.Keepalive <= 0 {
		cfg.Keepalive = DefaultKeepalive
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := parseRequest(r)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		// Register before answering: whatever is published from here on reaches this client.
		c, err := bc.Register(req.types, cfg.QueueSize)
		if err != nil {
			api.WriteError(w, r, fmt.Errorf("%w: the daemon is shutting down", messages.ErrUnavailable))
			return
		}
		defer c.Close()
		s := newSession(w, r, c, cfg.Keepalive)
		defer s.stop()
		if err := s.begin(); err != nil || r.Method == http.MethodHead {
			return
		}
		var floor uint64
		if req.resume {
			if floor, err = s.replay(log, req.after); err != nil {
				if errors.Is(err, errReadLog) {
					bc.log.Error("event stream: replay failed", "after", req.after, "err", err)
				}
				return
			}
		}
		s.live(floor)
	}
}
