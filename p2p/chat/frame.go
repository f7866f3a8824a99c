package chat

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/wire"
)

// Operations a request names.
const (
	opHeads = "heads"
	opSince = "since"
)

// request is the one question of a stream (JSON, one frame, client to server).
type request struct {
	Op    string            `json:"op"` // opHeads or opSince
	Room  string            `json:"room_id"`
	Heads map[string]uint64 `json:"heads,omitempty"` // since: the client's heads
	Limit int               `json:"limit,omitempty"` // since: at most this many (0: MaxPull)
}

// Kinds of answer frame: the first byte of each, the rest its payload.
const (
	kindEnvelope = 'e' // one envelope, ChatEnvelope.Marshal() bytes
	kindHeads    = 'h' // JSON Heads
	kindDone     = 'd' // JSON done: the end of a since answer
	kindError    = 'x' // JSON refusal: the end of any answer
)

// Heads answers a heads question: a peer's heads of a room and its counters.
type Heads struct {
	Heads    map[string]uint64 `json:"heads"` // sender → highest seq held with every earlier one
	Messages int64             `json:"message_count"`
	LastTsMs int64             `json:"last_activity_ms"`
	Gaps     int               `json:"gaps"` // runs of seqs the peer knows it lacks
}

// done ends a since answer; More says the server stopped at the limit and has more.
type done struct {
	Sent int  `json:"sent"`
	More bool `json:"more"`
}

// refusal ends an answer with the reason the question was not (fully) answered.
type refusal struct {
	Error  string `json:"error"`
	NoRoom bool   `json:"no_room,omitempty"`
	Busy   bool   `json:"busy,omitempty"`
}

// writeKind writes one answer frame: kind, then payload.
func writeKind(w io.Writer, kind byte, payload []byte) error {
	b := make([]byte, 0, 1+len(payload))
	return wire.WriteFrame(w, append(append(b, kind), payload...))
}

// writeKindJSON writes one answer frame whose payload is v as JSON.
func writeKindJSON(w io.Writer, kind byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("chat: encode %T: %w", v, err)
	}
	return writeKind(w, kind, b)
}

// writeEnvelope writes one envelope frame.
func writeEnvelope(w io.Writer, env messages.ChatEnvelope) error {
	return writeKind(w, kindEnvelope, env.Marshal())
}

// readKind reads one answer frame and splits off its kind.
func readKind(r io.Reader) (byte, []byte, error) {
	b, err := wire.ReadFrame(r, MaxFrame)
	if err != nil {
		return 0, nil, err
	}
	if len(b) == 0 {
		return 0, nil, fmt.Errorf("chat: empty answer frame")
	}
	return b[0], b[1:], nil
}
