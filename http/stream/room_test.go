package stream_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/http/stream"
	"github.com/meshhold/meshhold/messages"
)

// roomSock is a room socket for room "r1" behind a real HTTP server, on a membus broadcaster.
type roomSock struct {
	t   *testing.T
	bus *membus.Bus
	bc  *stream.Broadcaster
	srv *httptest.Server
	seq atomic.Uint64
}

func newRoomSock(t *testing.T, cfg stream.RoomConfig) *roomSock {
	t.Helper()
	s := &roomSock{t: t, bus: membus.New()}
	var err error
	if s.bc, err = stream.NewBroadcaster(s.bus, nil); err != nil {
		t.Fatal(err)
	}
	h := stream.RoomSocket(cfg, s.bc)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, "r1") }))
	t.Cleanup(func() {
		s.bc.Close()
		s.srv.Close()
	})
	return s
}

// publish sends a committed-looking event of room on the bus.
func (s *roomSock) publish(typ, room, hash string) {
	s.t.Helper()
	seq := s.seq.Add(1)
	data := fmt.Sprintf(`{"type":%q,"entity":"room/%s","room_id":%q,"content_hash":%q,"ts_ms":%d,"log_seq":%d}`, typ, room, room, hash, 1000+seq, seq)
	if err := s.bus.Publish(bus.EventSubject(typ, "room/"+room), []byte(data)); err != nil {
		s.t.Fatal(err)
	}
}

func (s *roomSock) dial() *websocket.Conn {
	s.t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.srv.URL, "http"), nil)
	if err != nil {
		s.t.Fatalf("dial: %v %v", err, resp)
	}
	s.t.Cleanup(func() { _ = c.Close() })
	// Registration happens before the upgrade answers: events from now on reach the socket.
	return c
}

func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, b, err := c.ReadMessage()
	if err != nil || typ != websocket.TextMessage {
		t.Fatalf("read: %d %q %v", typ, b, err)
	}
	return string(b)
}

// The socket sends its room's messages as the stored message (or the event when it cannot be
// fetched) and read receipts as events; other rooms' events never reach it.
func TestRoomSocketForwardsItsRoom(t *testing.T) {
	find := func(_ context.Context, room, hash string, ts int64) (messages.ChatMessage, error) {
		if hash == "gone" {
			return messages.ChatMessage{}, messages.NotFound("message")
		}
		return messages.ChatMessage{ID: hash, RoomID: room, Text: "text of " + hash, TsMs: ts, Type: "TEXT", ContentHash: hash}, nil
	}
	s := newRoomSock(t, stream.RoomConfig{Find: find})
	c := s.dial()
	s.publish("chat_message", "other", "h0")
	s.publish("chat_message", "r1", "h1")
	s.publish("chat_read", "r1", "")
	s.publish("chat_message", "r1", "gone")
	if got := readText(t, c); !strings.Contains(got, `"type":"chat_message"`) || !strings.Contains(got, `"text":"text of h1"`) || !strings.Contains(got, `"log_seq":2`) {
		t.Fatalf("first frame %s", got)
	}
	if got := readText(t, c); !strings.HasPrefix(got, `{"type":"chat_read"`) || !strings.Contains(got, `"room_id":"r1"`) {
		t.Fatalf("second frame %s", got)
	}
	if got := readText(t, c); !strings.Contains(got, `"content_hash":"gone"`) || strings.Contains(got, `"text"`) {
		t.Fatalf("third frame (the event, as the message is not found) %s", got)
	}
}

// A socket whose queue fills is closed with 1008 and unregistered; closing the broadcaster
// closes the others with 1001; a plain GET is told to upgrade.
func TestRoomSocketDropsSlowAndCloses(t *testing.T) {
	release := make(chan struct{})
	find := func(ctx context.Context, _, hash string, _ int64) (messages.ChatMessage, error) {
		if hash == "stuck" {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return messages.ChatMessage{ID: hash}, nil
	}
	s := newRoomSock(t, stream.RoomConfig{Find: find, QueueSize: 2, Keepalive: 50 * time.Millisecond})
	slow := s.dial()
	s.publish("chat_message", "r1", "stuck")
	deadline := time.Now().Add(5 * time.Second)
	for s.bc.Clients() == 1 && time.Now().Before(deadline) {
		s.publish("chat_message", "r1", "more")
	}
	close(release)
	if s.bc.Clients() != 0 || s.bc.Dropped() != 1 {
		t.Fatalf("clients %d dropped %d after the queue filled", s.bc.Clients(), s.bc.Dropped())
	}
	if code := closeCode(t, slow); code != websocket.ClosePolicyViolation {
		t.Fatalf("the slow socket closed with %d, want 1008", code)
	}

	other := s.dial()
	time.Sleep(120 * time.Millisecond) // two keepalives: pings answered by the client keep it open
	s.publish("chat_message", "r1", "after")
	if got := readText(t, other); !strings.Contains(got, `"id":"after"`) {
		t.Fatalf("after pings: %s", got)
	}
	s.bc.Close()
	if code := closeCode(t, other); code != websocket.CloseGoingAway {
		t.Fatalf("closed with %d on shutdown, want 1001", code)
	}
	resp, err := http.Get(s.srv.URL)
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET: %v %v", resp, err)
	}
	_ = resp.Body.Close()
}

// closeCode reads until the socket closes and returns the close code.
func closeCode(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			t.Fatalf("read ended without a close frame: %v", err)
		}
	}
}
