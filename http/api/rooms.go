package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
)

// Rooms serves the rooms theme (docs/rooms.md): room creation, joining and share URLs (this
// file), messages, attachments and read markers (rooms_messages.go, rooms_files.go), the live
// WebSocket (rooms_stream.go) and the relay roster (rooms_relay.go).
type Rooms struct {
	Actors   Actors
	Registry *host.Manager // rooms/registry
	Room     *host.Manager // room/<id>
	Sealer   Sealer        // seals and opens chat keys with the master key
	NodeID   string        // this node: always a member of the rooms it creates
	Files    *FileDeps     // attachments: the block store, pins and reclaimer (nil: 503)
	// MaxFile caps an attachment's bytes (0: DefaultMaxChatFile).
	MaxFile int64
	// Peers is where this node is reachable in the mesh (a share URL's peers); nil: none.
	Peers func() []string
	// Joined, if set, is told about a room this node now holds (joined or relayed), with peers
	// to dial for its history.
	Joined func(meta messages.RoomMeta, peers []string)
	// Sent, if set, is told about every message this node wrote (gossip publishes it).
	Sent func(sent messages.ChatSent)
	// Read, if set, is given this node's signed read receipt when its marker moved (gossip
	// carries it to the other members).
	Read func(rc messages.ChatReceipt)
	// Stream serves an existing joined room's WebSocket (nil: 503).
	Stream func(w http.ResponseWriter, r *http.Request, roomID string)
}

// RoomJSON is one joined room as GET /rooms and POST /rooms show it.
type RoomJSON struct {
	messages.RoomMeta
	Unread         int64 `json:"unread"`
	MessageCount   int64 `json:"message_count"`
	LastActivityMs int64 `json:"last_activity_ms"`
	ReadTsMs       int64 `json:"read_ts_ms"`
	// ReadBy is the other members' read markers from their receipts (node id → ts_ms).
	ReadBy map[string]int64 `json:"read_by"`
}

// RoomListReply is GET /rooms.
type RoomListReply struct {
	Rooms []RoomJSON `json:"rooms"`
}

// CreateRoomRequest is POST /rooms. ChatKey, when given, is the room's 32-byte key in hex (64
// characters) or base64 (standard or URL alphabet, padded or not); without it a key is minted.
type CreateRoomRequest struct {
	Name    string   `json:"name"`
	Members []string `json:"members,omitempty"`
	ChatKey string   `json:"chat_key,omitempty"`
}

// Check validates the name and the members' shape.
func (c *CreateRoomRequest) Check() error {
	c.Name = strings.TrimSpace(c.Name)
	if err := checkRoomName(c.Name); err != nil {
		return err
	}
	if len(c.Members) > messages.MaxChatMembers {
		return messages.Invalid("members", "%d members; at most %d", len(c.Members), messages.MaxChatMembers)
	}
	for i, m := range c.Members {
		id, err := peer.Decode(strings.TrimSpace(m))
		if err != nil {
			return messages.Invalid(fmt.Sprintf("members[%d]", i), "%q is not a node id (a peer id, 12D3KooW…)", clipText(m))
		}
		c.Members[i] = id.String()
	}
	return nil
}

// checkRoomName refuses an empty, over-long or control-laden room name.
func checkRoomName(name string) error {
	switch {
	case name == "":
		return messages.Invalid("name", "is required")
	case len(name) > messages.MaxRoomName:
		return messages.Invalid("name", "is %d bytes; at most %d", len(name), messages.MaxRoomName)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return messages.Invalid("name", "must be UTF-8 without control characters")
	}
	return nil
}

// JoinRoomRequest is POST /rooms/join.
type JoinRoomRequest struct {
	ShareURL string `json:"share_url"`
}

// RoomShareReply is GET /rooms/:id/share-url.
type RoomShareReply struct {
	URL     string   `json:"url"`
	RoomID  string   `json:"room_id"`
	Name    string   `json:"name"`
	Members []string `json:"members"`
	Peers   []string `json:"peers"`
}

// Routes lists the rooms theme's routes, relay roster included.
func (rm *Rooms) Routes() []Route {
	id := "/rooms/{room_id}"
	get, post := http.MethodGet, http.MethodPost
	routes := []Route{
		{Method: get, Pattern: "/rooms", Access: Bearer, Handler: rm.list,
			Doc: Doc{Summary: "Every joined room with its unread count", Response: RoomListReply{}}},
		{Method: post, Pattern: "/rooms", Access: Bearer, Handler: rm.create,
			Doc: Doc{Summary: "Create a room: name, members (this node is always one), optional chat_key (64 hex or base64 of 32 bytes; minted when absent); 409 when that room or name is already joined (extension)",
				Request: CreateRoomRequest{}, Response: RoomJSON{}, Status: http.StatusCreated}},
		{Method: post, Pattern: "/rooms/join", Access: Bearer, Handler: rm.join,
			Doc: Doc{Summary: "Join a room from its meshhold://room/v1 share URL (400 malformed, 409 already joined) (extension)",
				Request: JoinRoomRequest{}, Response: RoomJSON{}, Status: http.StatusCreated}},
		{Method: get, Pattern: id + "/share-url", Access: Bearer, Handler: rm.shareURL,
			Doc: Doc{Summary: "A meshhold://room/v1 URL holding the chat key, the members and this node's addresses: a secret, for members (extension)", Response: RoomShareReply{}}},
	}
	routes = append(routes, rm.messageRoutes()...)
	return append(routes, rm.relayRoutes()...)
}

// roomID is the {room_id} of the request, trimmed.
func roomID(r *http.Request) string { return strings.TrimSpace(chi.URLParam(r, "room_id")) }

// meta asks the registry for a room.
func (rm *Rooms) meta(ctx context.Context, id string) (messages.RoomMeta, error) {
	return ask[messages.RoomMeta](ctx, rm.Actors, rm.Registry, messages.RegistryID, messages.GetRoomMeta{ID: id})
}

// joined answers a joined room's meta: 404 when this node does not hold it, 403 when it only
// relays it (no key here).
func (rm *Rooms) joined(ctx context.Context, id string) (messages.RoomMeta, error) {
	m, err := rm.meta(ctx, id)
	if err != nil {
		return m, err
	}
	if m.Relay {
		return m, fmt.Errorf("%w: this node relays room %s without its key", messages.ErrLocked, id)
	}
	return m, nil
}

// status asks a room for its counters.
func (rm *Rooms) status(ctx context.Context, id string) (messages.RoomStatus, error) {
	return ask[messages.RoomStatus](ctx, rm.Actors, rm.Room, id, messages.GetRoomStatus{})
}

// roomJSON joins a room's registry meta and its counters.
func roomJSON(m messages.RoomMeta, st messages.RoomStatus) RoomJSON {
	if m.Members == nil {
		m.Members = []string{}
	}
	if st.ReadBy == nil {
		st.ReadBy = map[string]int64{}
	}
	return RoomJSON{RoomMeta: m, Unread: st.Unread, MessageCount: st.Messages, LastActivityMs: st.LastTsMs, ReadTsMs: st.ReadTsMs, ReadBy: st.ReadBy}
}

func (rm *Rooms) list(w http.ResponseWriter, r *http.Request) {
	list, err := ask[messages.RoomList](r.Context(), rm.Actors, rm.Registry, messages.RegistryID, messages.ListRooms{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	reply := RoomListReply{Rooms: []RoomJSON{}}
	for _, m := range list.Rooms {
		if m.Relay {
			continue
		}
		st, err := rm.status(r.Context(), m.ID)
		if err != nil {
			WriteError(w, r, fmt.Errorf("room %s: %w", m.ID, err))
			return
		}
		reply.Rooms = append(reply.Rooms, roomJSON(m, st))
	}
	WriteJSON(w, http.StatusOK, reply)
}

func (rm *Rooms) create(w http.ResponseWriter, r *http.Request) {
	var req CreateRoomRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	key, err := chatKeyOf(req.ChatKey)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	members := append(slices.Clone(req.Members), rm.NodeID)
	slices.Sort(members)
	members = slices.Compact(members)
	meta, err := rm.add(r.Context(), messages.RoomID(key, members), req.Name, members, key)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if rm.Joined != nil {
		rm.Joined(meta, nil)
	}
	WriteJSON(w, http.StatusCreated, roomJSON(meta, messages.RoomStatus{}))
}

// chatKeyOf decodes a given chat key (64 hex characters or base64 of 32 bytes), or mints one.
func chatKeyOf(s string) (messages.ChatKey, error) {
	var key messages.ChatKey
	s = strings.TrimSpace(s)
	if s == "" {
		_, _ = rand.Read(key[:])
		return key, nil
	}
	var b []byte
	if len(s) == 2*len(key) {
		b, _ = hex.DecodeString(s)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b != nil {
			break
		}
		if d, err := enc.DecodeString(s); err == nil {
			b = d
		}
	}
	if len(b) != len(key) {
		return key, messages.Invalid("chat_key", "want 32 bytes as 64 hex characters or base64")
	}
	copy(key[:], b)
	return key, nil
}

// add seals the key and records the room at the registry: ErrConflict when it is joined
// already or a joined room uses the name.
func (rm *Rooms) add(ctx context.Context, id, name string, members []string, key messages.ChatKey) (messages.RoomMeta, error) {
	if rm.Sealer == nil {
		return messages.RoomMeta{}, because(messages.ErrUnavailable, "no master key to seal the chat key")
	}
	sealed, err := rm.Sealer.Seal(messages.ChatKeyPurpose(id), key[:])
	if err != nil {
		return messages.RoomMeta{}, fmt.Errorf("seal the chat key of room %s: %w", id, err)
	}
	return ask[messages.RoomMeta](ctx, rm.Actors, rm.Registry, messages.RegistryID,
		messages.CreateRoom{ID: id, Name: name, Members: members, SealedKey: sealed})
}

// key opens a joined room's chat key.
func (rm *Rooms) key(m messages.RoomMeta) (messages.ChatKey, error) {
	var key messages.ChatKey
	if rm.Sealer == nil {
		return key, because(messages.ErrUnavailable, "no master key to open the chat key")
	}
	if len(m.SealedKey) == 0 {
		return key, fmt.Errorf("%w: this node holds no key of room %s", messages.ErrLocked, m.ID)
	}
	plain, err := rm.Sealer.Open(messages.ChatKeyPurpose(m.ID), m.SealedKey)
	if err != nil {
		return key, fmt.Errorf("open the chat key of room %s: %w", m.ID, err)
	}
	if len(plain) != len(key) {
		return key, fmt.Errorf("room %s: chat key of %d bytes", m.ID, len(plain))
	}
	copy(key[:], plain)
	return key, nil
}

// clipText shortens a value echoed in an error.
func clipText(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:64] + "…"
}

// isConflict reports a registry conflict.
func isConflict(err error) bool { return errors.Is(err, messages.ErrConflict) }
