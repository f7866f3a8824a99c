// Package keyrotate is the swarm-key push protocol, /meshhold/swarmkey/1.0: a node that rotates
// its network's key sends the new key to each connected peer over a stream, and the peer answers
// whether it applied the key, holds it for its operator, or refuses it. The stream runs inside the
// mesh (noise-authenticated, under the current swarm key), so the receiver knows who sent it.
//
// One exchange: the pusher writes one frame {"network_id", "key"} (key in the 3-line PSK
// format); the receiver answers one frame {"status", "error"} and closes its side; the pusher
// closes after reading it, which tells the receiver the answer arrived. A frame is a uvarint
// length and that many bytes of JSON, at most MaxFrame.
package keyrotate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/swarmkey"
	"github.com/meshhold/meshhold/p2p/wire"
)

// Protocol is the stream protocol id.
const Protocol = wire.SwarmKey

// Timeout bounds one exchange, on either side, when the context sets no earlier deadline.
const Timeout = 30 * time.Second

// The answers a receiver gives.
const (
	StatusApplied = "applied" // the receiver runs (or will at once) on the new key
	StatusHeld    = "held"    // the receiver keeps the key until its operator accepts or refuses it
	StatusRefused = "refused" // the receiver will not take the key; Error says why
)

// Errors of Push besides transport failures: the peer got the key but does not apply it now.
var (
	ErrHeld    = errors.New("keyrotate: the peer holds the key for its operator to accept")
	ErrRefused = errors.New("keyrotate: the peer refused the key")
)

// request is the pusher's frame. Key is the secret 3-line text.
type request struct {
	NetworkID string `json:"network_id"`
	Key       string `json:"key"`
}

// ack is the receiver's frame.
type ack struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// maxNetworkID bounds the network id a request may carry (ids are 16 hex characters).
const maxNetworkID = 64

// Push sends newKey for network networkID to peer over t and waits for its answer: nil when the
// peer applied it, an error wrapping ErrHeld or ErrRefused (with the peer's reason) when it did
// not, or the transport's error.
func Push(ctx context.Context, t p2p.Transport, peer p2p.PeerID, networkID string, newKey swarmkey.Key) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	s, err := t.OpenStream(ctx, peer, Protocol)
	if err != nil {
		return fmt.Errorf("keyrotate: open a stream to %s: %w", peer, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Reset() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	body, _ := json.Marshal(request{NetworkID: networkID, Key: newKey.Text()})
	if err := writeFrame(s, body); err != nil {
		_ = s.Reset()
		return fmt.Errorf("keyrotate: send to %s: %w", peer, err)
	}
	frame, err := readFrame(s)
	if err != nil {
		_ = s.Reset()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return fmt.Errorf("keyrotate: read the answer of %s: %w", peer, err)
	}
	_ = s.Close() // tells the peer its answer arrived
	var a ack
	if err := json.Unmarshal(frame, &a); err != nil {
		return fmt.Errorf("keyrotate: %s answered something that is not an answer: %w", peer, err)
	}
	switch a.Status {
	case StatusApplied:
		return nil
	case StatusHeld:
		return ErrHeld
	case StatusRefused:
		if a.Error == "" {
			return ErrRefused
		}
		return fmt.Errorf("%w: %s", ErrRefused, clip(a.Error))
	}
	return fmt.Errorf("keyrotate: %s answered the unknown status %q", peer, clip(a.Status))
}

// clip bounds a peer's words echoed in an error.
func clip(s string) string {
	if len(s) <= 200 {
		return s
	}
	return s[:200] + "…"
}
