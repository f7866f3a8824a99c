package chat

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/wire"
)

// RemoteHeads asks peer for its heads of room; an error wrapping ErrNoRoom when peer does not
// hold it.
func RemoteHeads(ctx context.Context, t p2p.Transport, peer p2p.PeerID, room string) (Heads, error) {
	return remoteHeads(ctx, t, peer, room, DefaultTimeout)
}

// RemoteSince asks peer for the envelopes of room it holds past heads, at most limit (0:
// MaxPull), and calls fn with each as it arrives, in (sender, seq) order; an error from fn
// ends the exchange and is returned. n is how many arrived; more says peer stopped at the
// limit and has more (ask again from the new heads).
func RemoteSince(ctx context.Context, t p2p.Transport, peer p2p.PeerID, room string, heads map[string]uint64, limit int, fn func(messages.ChatEnvelope) error) (n int, more bool, err error) {
	return remoteSince(ctx, t, peer, room, heads, limit, DefaultTimeout, fn)
}

// exchange is one open catch-up stream; ctx ending resets it.
type exchange struct {
	s       p2p.Stream
	br      *bufio.Reader
	timeout time.Duration
	stop    func() bool
	what    string
}

// open opens a stream to peer and sends req.
func open(ctx context.Context, t p2p.Transport, peer p2p.PeerID, req request, timeout time.Duration) (*exchange, error) {
	what := fmt.Sprintf("chat %s of room %s with %s", req.Op, req.Room, peer)
	s, err := t.OpenStream(ctx, peer, Protocol)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	x := &exchange{s: s, br: bufio.NewReader(s), timeout: timeout, what: what}
	x.stop = context.AfterFunc(ctx, func() { _ = s.Reset() })
	_ = s.SetDeadline(time.Now().Add(timeout))
	if err := wire.WriteJSON(s, req); err != nil {
		x.close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	_ = s.CloseWrite()
	return x, nil
}

func (x *exchange) close() {
	x.stop()
	_ = x.s.Close()
}

// next reads the next answer frame, a refusal turned into an error.
func (x *exchange) next() (byte, []byte, error) {
	_ = x.s.SetDeadline(time.Now().Add(x.timeout))
	kind, payload, err := readKind(x.br)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // every answer ends with a done or a refusal
		}
		return 0, nil, fmt.Errorf("%s: %w", x.what, err)
	}
	if kind != kindError {
		return kind, payload, nil
	}
	var r refusal
	if err := json.Unmarshal(payload, &r); err != nil {
		return 0, nil, fmt.Errorf("%s: malformed refusal: %w", x.what, err)
	}
	switch {
	case r.NoRoom:
		return 0, nil, fmt.Errorf("%s: %w", x.what, ErrNoRoom)
	case r.Busy:
		return 0, nil, fmt.Errorf("%s: %w", x.what, ErrBusy)
	}
	return 0, nil, fmt.Errorf("%s: refused: %s", x.what, r.Error)
}

func remoteHeads(ctx context.Context, t p2p.Transport, peer p2p.PeerID, room string, timeout time.Duration) (Heads, error) {
	x, err := open(ctx, t, peer, request{Op: opHeads, Room: room}, timeout)
	if err != nil {
		return Heads{}, err
	}
	defer x.close()
	kind, payload, err := x.next()
	if err != nil {
		return Heads{}, err
	}
	var h Heads
	if kind != kindHeads {
		return Heads{}, fmt.Errorf("%s: answer of kind %q, want heads", x.what, kind)
	}
	if err := json.Unmarshal(payload, &h); err != nil {
		return Heads{}, fmt.Errorf("%s: malformed heads: %w", x.what, err)
	}
	return h, nil
}

func remoteSince(ctx context.Context, t p2p.Transport, peer p2p.PeerID, room string, heads map[string]uint64, limit int, timeout time.Duration, fn func(messages.ChatEnvelope) error) (n int, more bool, err error) {
	if limit <= 0 || limit > MaxPull {
		limit = MaxPull
	}
	x, err := open(ctx, t, peer, request{Op: opSince, Room: room, Heads: heads, Limit: limit}, timeout)
	if err != nil {
		return 0, false, err
	}
	defer x.close()
	for {
		kind, payload, err := x.next()
		if err != nil {
			return n, false, err
		}
		switch kind {
		case kindEnvelope:
			env, err := messages.UnmarshalChatEnvelope(payload)
			if err != nil {
				_ = x.s.Reset()
				return n, false, fmt.Errorf("%s: envelope %d: %w", x.what, n+1, err)
			}
			if env.RoomID != room {
				_ = x.s.Reset()
				return n, false, fmt.Errorf("%s: envelope %d is of room %s", x.what, n+1, env.RoomID)
			}
			if n++; n > limit {
				_ = x.s.Reset()
				return n, false, fmt.Errorf("%s: more than the %d envelopes asked", x.what, limit)
			}
			if err := fn(env); err != nil {
				_ = x.s.Reset()
				return n, false, err
			}
		case kindDone:
			var d done
			if err := json.Unmarshal(payload, &d); err != nil {
				return n, false, fmt.Errorf("%s: malformed end: %w", x.what, err)
			}
			return n, d.More, nil
		default:
			_ = x.s.Reset()
			return n, false, fmt.Errorf("%s: answer of kind %q", x.what, kind)
		}
	}
}
