package stream

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
)

// RoomConfig tunes the room WebSocket (GET /rooms/:id/stream).
type RoomConfig struct {
	// Keepalive is how often a ping is sent (DefaultKeepalive when 0); a client that answers
	// no pong for two of them is closed.
	Keepalive time.Duration
	// QueueSize is how many chat events may wait for one socket before it is dropped as too
	// slow (DefaultQueueSize when 0). Every room's events count: the filter is per socket.
	QueueSize int
	// WriteTimeout bounds one frame's write (DefaultRoomWriteTimeout when 0).
	WriteTimeout time.Duration
	// Find fetches the message an event announces (api.Rooms.FindMessage); nil, or a miss,
	// sends the event envelope instead.
	Find func(ctx context.Context, roomID, hash string, tsMs int64) (messages.ChatMessage, error)
	// Log receives the sockets' failures (nil: discarded).
	Log *slog.Logger
}

// DefaultRoomWriteTimeout bounds one WebSocket frame's write.
const DefaultRoomWriteTimeout = 10 * time.Second

// roomEventTypes are the events a room socket forwards.
var roomEventTypes = []string{"chat_message", "chat_read"}

// RoomFrame is one chat_message as a room socket sends it: the stored message, as
// GET /rooms/:id/messages shows it, with the event's type and log_seq.
type RoomFrame struct {
	Type   string `json:"type"`
	LogSeq uint64 `json:"log_seq"`
	messages.ChatMessage
}

// roomEventHead is the part of a chat event the socket needs.
type roomEventHead struct {
	RoomID      string `json:"room_id"`
	ContentHash string `json:"content_hash"`
	TsMs        int64  `json:"ts_ms"`
	MessageTsMs int64  `json:"message_ts_ms"`
}

// RoomSocket serves one room's live WebSocket from the daemon's broadcaster: every
// chat_message of the room as a RoomFrame (text frames of JSON), every chat_read as its event
// envelope. It registers with bc before the upgrade, so nothing committed after the handshake
// is missed; a socket whose queue fills is closed with 1008 "too slow", and the broadcaster's
// close ends every socket with 1001. What the client sends is read and dropped (pongs keep it
// alive). The caller has checked that the room exists and is joined.
func RoomSocket(cfg RoomConfig, bc *Broadcaster) func(w http.ResponseWriter, r *http.Request, roomID string) {
	if cfg.Keepalive <= 0 {
		cfg.Keepalive = DefaultKeepalive
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultRoomWriteTimeout
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	up := websocket.Upgrader{
		HandshakeTimeout: cfg.WriteTimeout,
		// Credentials are an explicit bearer token (header or ?token=), never an ambient
		// cookie, so a page of another origin cannot ride on the user's session.
		CheckOrigin: func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			api.WriteJSON(w, status, map[string]string{"error": reason.Error()})
		},
	}
	return func(w http.ResponseWriter, r *http.Request, roomID string) {
		if !websocket.IsWebSocketUpgrade(r) {
			api.WriteError(w, r, messages.Invalid("", "this route is a WebSocket: send an Upgrade: websocket handshake"))
			return
		}
		c, err := bc.Register(roomEventTypes, cfg.QueueSize)
		if err != nil {
			api.WriteError(w, r, fmt.Errorf("%w: the daemon is shutting down", messages.ErrUnavailable))
			return
		}
		defer c.Close()
		conn, err := up.Upgrade(hijackable{w}, r, nil)
		if err != nil {
			return // the upgrader answered the client
		}
		s := &roomSocket{cfg: cfg, conn: conn, c: c, room: roomID, ctx: r.Context()}
		s.run()
	}
}

// hijackable lets the upgrader reach the connection through wrappers (metrics) that only
// offer Unwrap.
type hijackable struct{ http.ResponseWriter }

// Hijack takes the connection over through http.ResponseController.
func (h hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(h.ResponseWriter).Hijack()
}

// roomSocket is one upgraded connection.
type roomSocket struct {
	cfg  RoomConfig
	conn *websocket.Conn
	c    *Client
	room string
	ctx  context.Context
}

// run pumps events until the client goes, falls behind or the broadcaster closes.
func (s *roomSocket) run() {
	defer s.conn.Close()
	gone := make(chan struct{})
	go s.read(gone)
	ping := time.NewTicker(s.cfg.Keepalive)
	defer ping.Stop()
	for {
		select {
		case ev := <-s.c.Events():
			if err := s.forward(ev); err != nil {
				s.cfg.Log.Debug("room socket write failed", "room", s.room, "err", err)
				return
			}
		case <-ping.C:
			if err := s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.cfg.WriteTimeout)); err != nil {
				return
			}
		case <-s.c.Done():
			code, text := websocket.CloseGoingAway, "the daemon is shutting down"
			if errors.Is(s.c.Err(), ErrSlow) {
				code, text = websocket.ClosePolicyViolation, "too slow: the client fell behind the room's messages"
			}
			_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(s.cfg.WriteTimeout))
			return
		case <-gone:
			return
		}
	}
}

// read drops what the client sends, extends the deadline on every pong, and closes gone when
// the client leaves or stays silent past two pings.
func (s *roomSocket) read(gone chan<- struct{}) {
	defer close(gone)
	s.conn.SetReadLimit(4 << 10)
	wait := 2*s.cfg.Keepalive + s.cfg.WriteTimeout
	_ = s.conn.SetReadDeadline(time.Now().Add(wait))
	s.conn.SetPongHandler(func(string) error { return s.conn.SetReadDeadline(time.Now().Add(wait)) })
	for {
		if _, _, err := s.conn.NextReader(); err != nil {
			return
		}
		_ = s.conn.SetReadDeadline(time.Now().Add(wait))
	}
}

// forward writes ev when it belongs to the room: a chat_message as the stored message (its
// envelope when the message cannot be fetched), anything else as its envelope.
func (s *roomSocket) forward(ev *Event) error {
	var h roomEventHead
	if err := json.Unmarshal(ev.Data, &h); err != nil || h.RoomID != s.room {
		return nil
	}
	data := ev.Data
	if ev.Type == "chat_message" && s.cfg.Find != nil {
		ts := h.MessageTsMs
		if ts == 0 {
			ts = h.TsMs
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.WriteTimeout)
		m, err := s.cfg.Find(ctx, s.room, h.ContentHash, ts)
		cancel()
		if err == nil {
			if b, err := json.Marshal(RoomFrame{Type: ev.Type, LogSeq: ev.LogSeq, ChatMessage: m}); err == nil {
				data = b
			}
		} else {
			s.cfg.Log.Debug("room socket: message not fetched; sending the event", "room", s.room, "content_hash", h.ContentHash, "err", err)
		}
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	return s.conn.WriteMessage(websocket.TextMessage, data)
}
