package room

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// roomRecord is a room's registry record in persist.Rooms, keyed by room id (JSON).
type roomRecord struct {
	ID        string   `json:"id"`
	Name      string   `json:"name,omitempty"`
	Members   []string `json:"members,omitempty"`
	CreatedMs int64    `json:"created_ms"`
	UpdatedMs int64    `json:"updated_ms"`
	SealedKey []byte   `json:"sealed_key,omitempty"` // the chat key sealed under ChatKeyPurpose(ID)
	Relay     bool     `json:"relay,omitempty"`      // held without the key
	Dropped   bool     `json:"dropped,omitempty"`    // a dropped relay: its chat records are being purged
}

func (r *roomRecord) live() bool { return r != nil && !r.Dropped }

func (r *roomRecord) meta() messages.RoomMeta {
	return messages.RoomMeta{ID: r.ID, Name: r.Name, Members: slices.Clone(r.Members), CreatedMs: r.CreatedMs,
		Relay: r.Relay, SealedKey: slices.Clone(r.SealedKey)}
}

func readRecord(v persist.View, id string) (*roomRecord, []byte, error) {
	raw, ok := v.Get(persist.Rooms, id)
	if !ok {
		return nil, nil, nil
	}
	rec := &roomRecord{}
	if err := json.Unmarshal(raw, rec); err != nil {
		return nil, raw, fmt.Errorf("room %s: decode registry record: %w", id, err)
	}
	return rec, raw, nil
}

func putRecord(r *roomRecord) persist.Write {
	return persist.Write{Bucket: persist.Rooms, Key: r.ID, Value: mustJSON(r)}
}

// stateRecord is a room's small, hot state, rewritten by every step that changes it (JSON).
type stateRecord struct {
	ReadTsMs   int64 `json:"read_ts_ms,omitempty"`
	Messages   int64 `json:"messages,omitempty"`
	Bytes      int64 `json:"bytes,omitempty"`
	LastTsMs   int64 `json:"last_ts_ms,omitempty"`
	OldestTsMs int64 `json:"oldest_ts_ms,omitempty"`
	// ReadBy is the other members' read markers from their receipts (reader → ts_ms).
	ReadBy map[string]int64 `json:"read_by,omitempty"`
	// Relay: the envelopes were stored without the key. When the room is joined later, the
	// core indexes the attachments of what it holds, from (ReindexSender, ReindexSeq) on.
	Relay         bool   `json:"relay,omitempty"`
	Reindexing    bool   `json:"reindexing,omitempty"`
	ReindexSender string `json:"reindex_sender,omitempty"`
	ReindexSeq    uint64 `json:"reindex_seq,omitempty"`
}

// keys lays out one room's records in persist.Chat, every key under room/<id>/ (docs/rooms.md).
type keys struct{ p string }

func chatKeys(id string) keys { return keys{p: messages.RoomKind + "/" + id + "/"} }

func (k keys) all() string   { return k.p }
func (k keys) state() string { return k.p + "st" }

// s/<sender> → the sender's chain: contiguous head and highest seq held (BE8 each).
func (k keys) senders() string            { return k.p + "s/" }
func (k keys) sender(s string) string     { return k.senders() + s }
func (k keys) senderOf(key string) string { return strings.TrimPrefix(key, k.senders()) }

// e/<sender>\x00<seq BE8> → the envelope, as it travels (ChatEnvelope.Marshal).
func (k keys) envelopes() string                    { return k.p + "e/" }
func (k keys) chain(s string) string                { return k.envelopes() + s + "\x00" }
func (k keys) envelope(s string, seq uint64) string { return k.envelopes() + ref(s, seq) }
func (k keys) envelopeAt(r string) string           { return k.envelopes() + r }

// o/<position> → ref: the room's order, newest first in byte order (see position).
func (k keys) order() string             { return k.p + "o/" }
func (k keys) orderAt(pos string) string { return k.order() + pos }

// f/<file id> → ref of the first envelope carrying the attachment (joined rooms only).
func (k keys) files() string         { return k.p + "f/" }
func (k keys) file(id string) string { return k.files() + id }

// ref names an envelope within its room: sender, NUL, seq (BE8). Senders hold no NUL.
func ref(sender string, seq uint64) string {
	return string(binary.BigEndian.AppendUint64([]byte(sender+"\x00"), seq))
}

func parseRef(r string) (string, uint64, bool) {
	i := strings.IndexByte(r, 0)
	if i < 0 || len(r)-i-1 != 8 {
		return "", 0, false
	}
	return r[:i], binary.BigEndian.Uint64([]byte(r[i+1:])), true
}

// position is a message's place in the order key space: (ts_ms, sender, seq), every part
// inverted, so a forward scan yields newest first. The sender's bytes are complemented and
// closed with 0xFF (no complemented byte is 0xFF, as senders hold no NUL), so a sender that is
// a prefix of another sorts after it, as descending order wants.
func position(ts int64, sender string, seq uint64) string {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 17+len(sender)), ^uint64(ts))
	for i := 0; i < len(sender); i++ {
		b = append(b, ^sender[i])
	}
	b = append(b, 0xff)
	return string(binary.BigEndian.AppendUint64(b, ^seq))
}

// parsePosition inverts position.
func parsePosition(p string) (ts int64, sender string, seq uint64, ok bool) {
	if len(p) < 17 || p[len(p)-9] != 0xff {
		return 0, "", 0, false
	}
	ts = int64(^binary.BigEndian.Uint64([]byte(p[:8])))
	s := []byte(p[8 : len(p)-9])
	for i := range s {
		if s[i] == 0xff {
			return 0, "", 0, false
		}
		s[i] = ^s[i]
	}
	return ts, string(s), ^binary.BigEndian.Uint64([]byte(p[len(p)-8:])), true
}

// chainState is one sender's chain as a room holds it.
type chainState struct {
	head uint64 // highest seq held with every earlier one
	max  uint64 // highest seq held
}

func encodeChain(c chainState) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, c.head), c.max)
}

func decodeChain(b []byte) (chainState, bool) {
	if len(b) != 16 {
		return chainState{}, false
	}
	return chainState{head: binary.BigEndian.Uint64(b[:8]), max: binary.BigEndian.Uint64(b[8:])}, true
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Errorf("room: encode %T: %w", v, err)) // plain structs: a programming error
	}
	return b
}
