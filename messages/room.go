package messages

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Chat rooms (docs/rooms.md): one registry (entity rooms/registry) lists the rooms this node has
// joined or relays (name, sealed chat key, members); one actor per room (entity room/<id>)
// owns its messages. A relayed room has no key here: its actor stores and serves envelopes it
// can verify but not read.
const (
	RoomsKind = "rooms"
	RoomKind  = "room"
)

// Limits of the chat commands and of one message.
const (
	MaxChatText       = 16 << 10 // bytes of a text message
	MaxChatLabel      = 256      // bytes of a location label or an attachment name
	MaxChatBody       = 64 << 10 // sealed body bytes of one envelope
	MaxChatMembers    = 256      // initial members of a room
	MaxRoomName       = 128      // bytes of a room name
	MaxChatPage       = 500      // messages per ListMessages page
	MaxChatEnvelopes  = 1000     // envelopes per ReceiveEnvelopes or RoomRange answer
	DefaultChatPage   = 50       // messages per page when a request names no limit
	MaxChatClockAhead = 5 * 60 * 1000
)

// Message types, as the reference's chat_message events name them.
const (
	ChatTypeText     = "TEXT"
	ChatTypeFile     = "FILE"
	ChatTypeLocation = "LOCATION"
)

// ChatKey is a room's 32-byte key (XChaCha20-Poly1305). Like VaultKey it never prints.
type ChatKey [32]byte

// String keeps the key out of fmt and logs.
func (ChatKey) String() string { return Redacted }

// GoString keeps the key out of %#v.
func (ChatKey) GoString() string { return "messages.ChatKey(" + Redacted + ")" }

// Format keeps the key out of every fmt verb.
func (k ChatKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, Redacted) }

// MarshalText keeps the key out of JSON and YAML.
func (ChatKey) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// ChatKeyPurpose is the master-key sealing purpose of room id's chat key.
func ChatKeyPurpose(id string) string { return RoomKind + "/" + id }

// RoomID derives a room's id: the first 16 bytes, in hex, of SHA-256 over a domain tag, the
// chat key and the initial members (node ids) sorted and deduplicated. Every node that knows
// the key and the members computes the same id.
func RoomID(key ChatKey, members []string) string {
	ms := slices.Clone(members)
	slices.Sort(ms)
	ms = slices.Compact(ms)
	h := sha256.New()
	h.Write([]byte("meshhold room v1\x00"))
	h.Write(key[:])
	for _, m := range ms {
		h.Write([]byte(m))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// ChatHash is an envelope's content hash: SHA-256 of its signed bytes (ChatEnvelope.Signed).
// Duplicates are dropped by it and each envelope names its sender's previous one by it.
type ChatHash [32]byte

// String is 64 lowercase hex characters.
func (h ChatHash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports the zero hash: "no previous message" in a sender's first envelope.
func (h ChatHash) IsZero() bool { return h == ChatHash{} }

// ChatEnvelope is one message as it travels (gossip, catch-up streams) and as it is stored,
// byte for byte. The sender's node key signs Signed(); the body is XChaCha20-Poly1305 under the
// room's chat key with Nonce, and the signed header bytes as additional data. A node without
// the key (a relay) checks the signature and the sender's chain but cannot read the body.
// Each sender's envelopes form a chain: Seq rises by one from 1 and Prev is the ChatHash of the
// sender's envelope Seq-1, so history cannot be rewritten unnoticed and concurrent senders never
// fork one chain. A room's order is (TsMs, Sender, Seq) on every member.
type ChatEnvelope struct {
	RoomID string
	Sender string // node id of the sender (a libp2p peer id)
	Seq    uint64
	Prev   ChatHash
	TsMs   int64
	Nonce  [24]byte
	Body   []byte // sealed ChatBody JSON
	Sig    []byte // ed25519 over Signed()
}

// ChatBody is the plaintext of an envelope's body (JSON).
type ChatBody struct {
	Type     string        `json:"type"` // ChatTypeText, ChatTypeFile or ChatTypeLocation
	Text     string        `json:"text,omitempty"`
	Username string        `json:"username,omitempty"` // the display name an inbound webhook gave
	File     *ChatFileRef  `json:"file,omitempty"`
	Location *ChatLocation `json:"location,omitempty"`
}

// ChatFileRef is an attachment: its blocks are sealed under the chat key and stored in the
// block store; members fetch missing ones from peers like vault blocks.
type ChatFileRef struct {
	ID          string     `json:"id"` // hex SHA-256 of the plaintext
	Name        string     `json:"name"`
	ContentType string     `json:"content_type"`
	Size        int64      `json:"size"`
	Blocks      []BlockRef `json:"blocks"`
}

// ChatLocation is a shared position.
type ChatLocation struct {
	Lat   float64 `json:"lat"`
	Lng   float64 `json:"lng"`
	Label string  `json:"label,omitempty"`
}

// Check validates a location, naming the field at fault.
func (l ChatLocation) Check() error {
	switch {
	case l.Lat < -90 || l.Lat > 90 || l.Lat != l.Lat:
		return Invalid("lat", "%v is out of range: want -90 to 90", l.Lat)
	case l.Lng < -180 || l.Lng > 180 || l.Lng != l.Lng:
		return Invalid("lng", "%v is out of range: want -180 to 180", l.Lng)
	case len(l.Label) > MaxChatLabel:
		return Invalid("label", "is %d bytes; at most %d", len(l.Label), MaxChatLabel)
	}
	return nil
}

// chatMagic opens every encoded envelope: a format tag and version.
const chatMagic = "MHC1"

// Signed is the byte string the sender signs and whose SHA-256 is the ChatHash: the magic,
// then each header field and the body, length-prefixed where variable.
func (e ChatEnvelope) Signed() []byte {
	b := make([]byte, 0, 128+len(e.Body))
	b = append(b, chatMagic...)
	b = appendString(b, e.RoomID)
	b = appendString(b, e.Sender)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = append(b, e.Prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.TsMs))
	b = append(b, e.Nonce[:]...)
	b = appendString(b, string(e.Body))
	return b
}

// Header is Signed() without the body: the additional data of the body's seal.
func (e ChatEnvelope) Header() []byte {
	h := e
	h.Body = nil
	return h.Signed()
}

// Hash is the envelope's content hash.
func (e ChatEnvelope) Hash() ChatHash { return sha256.Sum256(e.Signed()) }

// Marshal encodes the envelope for the wire and the store: Signed() then the signature,
// length-prefixed.
func (e ChatEnvelope) Marshal() []byte { return appendString(e.Signed(), string(e.Sig)) }

// ErrChatEncoding reports bytes that are not an envelope.
var ErrChatEncoding = errors.New("not a chat envelope")

// UnmarshalChatEnvelope decodes Marshal's bytes; it checks the shape and limits, not the
// signature.
func UnmarshalChatEnvelope(b []byte) (ChatEnvelope, error) {
	var e ChatEnvelope
	r := chatReader{b: b}
	if string(r.take(len(chatMagic))) != chatMagic {
		return e, ErrChatEncoding
	}
	e.RoomID = string(r.bytes(64))
	e.Sender = string(r.bytes(128))
	e.Seq = r.u64()
	copy(e.Prev[:], r.take(32))
	e.TsMs = int64(r.u64())
	copy(e.Nonce[:], r.take(24))
	e.Body = slices.Clone(r.bytes(MaxChatBody))
	e.Sig = slices.Clone(r.bytes(128))
	if r.bad || len(r.b) != 0 || e.Seq == 0 || e.RoomID == "" || e.Sender == "" || strings.ContainsRune(e.Sender, 0) {
		return ChatEnvelope{}, ErrChatEncoding
	}
	return e, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

type chatReader struct {
	b   []byte
	bad bool
}

func (r *chatReader) take(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *chatReader) u64() uint64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func (r *chatReader) bytes(limit int) []byte {
	b := r.take(4)
	if b == nil {
		return nil
	}
	n := binary.BigEndian.Uint32(b)
	if int64(n) > int64(limit) {
		r.bad = true
		return nil
	}
	return r.take(int(n))
}

// Registry commands (entity rooms/registry).

// CreateRoom adds a joined room: POST /rooms mints the key, POST /rooms/join brings it from a
// share URL. The registry answers RoomMeta; ErrConflict when the id is already joined or the
// name is already used by a joined room. A room relayed here becomes joined (it gains its key).
type CreateRoom struct {
	ID        string
	Name      string
	Members   []string
	SealedKey []byte // the chat key sealed under ChatKeyPurpose(ID)
}

// RelayRoom adds a room this node relays without its key (POST /relay/rooms); a joined room
// answers ErrConflict.
type RelayRoom struct{ ID string }

// DropRelay removes a relayed room and its stored envelopes (DELETE /relay/rooms/:id);
// ErrNotFound when it is not relayed here.
type DropRelay struct{ ID string }

// ListRooms asks for every joined and relayed room; the registry answers RoomList.
type ListRooms struct{}

// RoomList answers ListRooms, ordered by id.
type RoomList struct {
	Rooms []RoomMeta `json:"rooms"`
}

// ListPurging asks for the dropped relayed rooms whose records are not all deleted yet; the
// registry answers RoomList. The daemon sends each PurgeRoom at start, so a purge a stop
// interrupted resumes.
type ListPurging struct{}

// GetRoomMeta asks for one room; the registry answers RoomMeta or ErrNotFound.
type GetRoomMeta struct{ ID string }

// RoomMeta is a room's registry record as answers show it.
type RoomMeta struct {
	ID        string   `json:"room_id"`
	Name      string   `json:"name,omitempty"`
	Members   []string `json:"members,omitempty"`
	CreatedMs int64    `json:"created_ms"`
	Relay     bool     `json:"relay"` // relayed here without the key
	SealedKey []byte   `json:"-"`
}

// Room commands (entity room/<id>).

// SendMessage writes one message from this node: the core seals Body with Nonce (random,
// drawn by the caller, as cores draw no randomness), signs, chains and stores it. It answers
// ChatSent; ErrLocked on a relayed room (no key), Invalid on a bad body.
type SendMessage struct {
	Body  ChatBody
	Nonce [24]byte
}

// ChatSent answers SendMessage: the stored message and the envelope to publish.
type ChatSent struct {
	Message  ChatMessage
	Envelope ChatEnvelope
}

// ReceiveEnvelopes stores envelopes from peers (gossip, catch-up): each is checked (room,
// signature, chain against its stored neighbours, body opens under the key when the key is
// here) before it is kept; duplicates are dropped by hash. It answers ChatReceived.
type ReceiveEnvelopes struct {
	From      string // the peer that sent them, for the logs
	Envelopes []ChatEnvelope
}

// ChatReceived answers ReceiveEnvelopes.
type ChatReceived struct {
	Added     int       `json:"added"`
	Duplicate int       `json:"duplicate"`
	Rejected  int       `json:"rejected"`
	Reasons   []string  `json:"reasons,omitempty"` // why each rejected one was, at most a few
	Gaps      []ChatGap `json:"gaps,omitempty"`    // what is missing now, to ask peers for
}

// ChatGap is a run of a sender's messages this node lacks: seqs From through To inclusive
// (To 0: everything after From-1 that the peer has).
type ChatGap struct {
	Sender string `json:"sender"`
	From   uint64 `json:"from"`
	To     uint64 `json:"to"`
}

// ListMessages asks for a page of history, newest first, older than the cursor Before (""
// from the newest); Limit 0 means DefaultChatPage, more than MaxChatPage is Invalid. The core
// answers ChatPage.
type ListMessages struct {
	Before string
	Limit  int
}

// ChatPage answers ListMessages; Next is the cursor of the following (older) page, "" at the end.
type ChatPage struct {
	Messages []ChatMessage `json:"messages"`
	Next     string        `json:"next,omitempty"`
}

// ChatMessage is one message as the REST API shows it.
type ChatMessage struct {
	ID          string        `json:"id"` // the envelope's content hash
	RoomID      string        `json:"room_id"`
	Sender      string        `json:"sender_node_id"`
	Seq         uint64        `json:"seq"`
	TsMs        int64         `json:"ts_ms"`
	Type        string        `json:"message_type"`
	Text        string        `json:"text,omitempty"`
	Username    string        `json:"username,omitempty"`
	File        *ChatFileRef  `json:"file,omitempty"` // Blocks left out of answers
	Location    *ChatLocation `json:"location,omitempty"`
	IsSelf      bool          `json:"is_self"`
	ContentHash string        `json:"content_hash"`
}

// MarkRead moves this node's read marker of the room to TsMs (never back); the core answers
// RoomStatus and reports chat_read.
type MarkRead struct{ TsMs int64 }

// GetRoomStatus asks for the room's counters and per-sender heads; the core answers RoomStatus.
type GetRoomStatus struct{}

// RoomStatus is a room's counters: for GET /rooms (unread), relay stats and catch-up (Heads).
type RoomStatus struct {
	RoomID     string            `json:"room_id"`
	Messages   int64             `json:"message_count"`
	Bytes      int64             `json:"bytes"`
	LastTsMs   int64             `json:"last_activity_ms"`
	Unread     int64             `json:"unread"`
	ReadTsMs   int64             `json:"read_ts_ms"`
	Heads      map[string]uint64 `json:"heads"` // sender → highest seq held with every earlier one
	Gaps       []ChatGap         `json:"gaps,omitempty"`
	Relay      bool              `json:"relay"`
	SelfSeq    uint64            `json:"self_seq"`
	OldestTsMs int64             `json:"oldest_ts_ms,omitempty"`
	// ReadBy is the other members' read markers, from their receipts: reader → ts_ms.
	ReadBy map[string]int64 `json:"read_by,omitempty"`
	// Receipt is this node's signed read receipt, set in MarkRead's answer when the marker
	// moved: the daemon gossips it to the other members.
	Receipt *ChatReceipt `json:"-"`
}

// ChatSince asks for the envelopes a peer lacks, given its heads (sender → highest contiguous
// seq; a sender it does not name: it has none), at most Limit (0: MaxChatEnvelopes), in
// (sender, seq) order. The core answers ChatEnvelopes.
type ChatSince struct {
	Heads map[string]uint64
	Limit int
}

// ChatEnvelopes answers ChatSince; More says the answer was cut at the limit.
type ChatEnvelopes struct {
	Envelopes []ChatEnvelope
	More      bool
}

// ListChatFiles asks for a page of the room's attachments (with their blocks) from its
// attachment index, in file-id order after After, at most Limit (0 or more than MaxChatPage:
// MaxChatPage); the core answers ChatFiles. The daemon pins their blocks at start without
// reading every message.
type ListChatFiles struct {
	After string
	Limit int
}

// ChatFiles answers ListChatFiles; Next is the After of the following page, "" at the end.
type ChatFiles struct {
	Files []ChatFileRef
	Next  string
}

// GetChatFile asks for an attachment's reference (with its blocks) by file id; ErrNotFound
// when no message of the room carries it, ErrLocked on a relayed room.
type GetChatFile struct{ ID string }

// PurgeRoom deletes the records of a room the registry dropped (DropRelay), in batches that go
// on by timer; send it to room/<id> right after DropRelay. It answers RoomPurged; ErrConflict
// while the room is still held (not dropped).
type PurgeRoom struct{}

// RoomPurged answers PurgeRoom; Done is false while batches remain (they follow by themselves).
type RoomPurged struct {
	Done bool `json:"done"`
}

// ChatReceipt is a read receipt: the reader's node signs "I have read room RoomID up to TsMs".
// It travels on the room's gossip topic beside the envelopes (best effort: the newest one
// supersedes the older, and a member offline when it was sent learns it from the next), and
// each member keeps the newest per reader, never moving back.
type ChatReceipt struct {
	RoomID string
	Reader string // node id of the reader
	TsMs   int64
	Sig    []byte // ed25519 over Signed()
}

// receiptMagic opens every encoded receipt, so gossip tells it from an envelope (chatMagic).
const receiptMagic = "MHR1"

// Signed is the byte string the reader signs.
func (r ChatReceipt) Signed() []byte {
	b := append([]byte(receiptMagic), appendString(nil, r.RoomID)...)
	b = appendString(b, r.Reader)
	return binary.BigEndian.AppendUint64(b, uint64(r.TsMs))
}

// Marshal encodes the receipt for gossip: Signed() then the signature, length-prefixed.
func (r ChatReceipt) Marshal() []byte { return appendString(r.Signed(), string(r.Sig)) }

// IsChatReceipt reports whether gossip bytes are a receipt rather than an envelope.
func IsChatReceipt(b []byte) bool {
	return len(b) >= len(receiptMagic) && string(b[:len(receiptMagic)]) == receiptMagic
}

// UnmarshalChatReceipt decodes Marshal's bytes; it checks the shape, not the signature.
func UnmarshalChatReceipt(b []byte) (ChatReceipt, error) {
	var rc ChatReceipt
	r := chatReader{b: b}
	if string(r.take(len(receiptMagic))) != receiptMagic {
		return rc, ErrChatEncoding
	}
	rc.RoomID = string(r.bytes(64))
	rc.Reader = string(r.bytes(128))
	rc.TsMs = int64(r.u64())
	rc.Sig = slices.Clone(r.bytes(128))
	if r.bad || len(r.b) != 0 || rc.RoomID == "" || rc.Reader == "" || rc.TsMs <= 0 {
		return ChatReceipt{}, ErrChatEncoding
	}
	return rc, nil
}

// ReceiveReceipt records a member's read receipt (entity room/<id>); the core answers
// RoomStatus, and reports chat_read when the reader's marker moved; a relayed room refuses it
// (ErrLocked): it has no reader to tell.
type ReceiveReceipt struct{ Receipt ChatReceipt }
