package joinurl

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meshhold/meshhold/messages"
)

// Room is what a meshhold://room/v1 URL carries: enough for a node of the same network to join
// a chat room — its id, name, chat key and initial members (from which the id derives), and
// peers to ask for its history. It holds the chat key, so String, Format, LogValue and JSON
// redact it; URL gives the secret form.
type Room struct {
	ID      string           `json:"id"`      // messages.RoomID(Key, Members)
	Name    string           `json:"name"`    // its name; may be empty
	Key     messages.ChatKey `json:"-"`       // the chat key
	Members []string         `json:"members"` // the initial members' peer ids
	Peers   []string         `json:"peers"`   // nodes that hold the room, each ending in /p2p/<peer id>
}

// roomID is the shape of a room id: 32 lowercase hex characters (messages.RoomID).
var roomID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// URL returns the share URL, chat key included: hand it only to a node that may read the room.
func (r Room) URL() string {
	u := newURL(KindRoom)
	u.add("id", r.ID)
	if r.Name != "" {
		u.add("name", r.Name)
	}
	u.add("key", hex.EncodeToString(r.Key[:]))
	for _, m := range r.Members {
		u.add("member", m)
	}
	for _, p := range r.Peers {
		u.add("peer", p)
	}
	return u.String()
}

// Validate checks the id against the key and members, the name, every member and peer, and
// the length of the URL.
func (r Room) Validate() error {
	if !roomID.MatchString(r.ID) {
		return invalid("room id %q: want 32 lowercase hex characters", clip(r.ID))
	}
	if err := checkName("name", r.Name); err != nil {
		return err
	}
	switch {
	case len(r.Members) == 0:
		return invalid("missing member (the room's initial members, peer ids)")
	case len(r.Members) > messages.MaxChatMembers:
		return invalid("%d members, at most %d", len(r.Members), messages.MaxChatMembers)
	}
	for i, m := range r.Members {
		if _, err := peer.Decode(m); err != nil {
			return invalid("member[%d] %q is not a peer id: %v", i, clip(m), err)
		}
	}
	if messages.RoomID(r.Key, r.Members) != r.ID {
		return invalid("room id %s does not derive from the key and members: the URL is damaged or forged", r.ID)
	}
	for i, p := range r.Peers {
		if _, _, err := parsePeerAddr(p); err != nil {
			return invalid("peer[%d] %q: %v", i, clip(p), err)
		}
	}
	if n := len(r.URL()); n > MaxLen {
		return invalid("URL would be %d bytes, at most %d; share fewer peers", n, MaxLen)
	}
	return nil
}

// ParseRoom reads a meshhold://room/v1 URL. Its errors name the bad part and never echo the key.
func ParseRoom(s string) (Room, error) {
	p, err := split(s)
	if err != nil {
		return Room{}, err
	}
	if err := p.wantKind(KindRoom); err != nil {
		return Room{}, err
	}
	var r Room
	id, ok, err := p.single("id")
	if err != nil {
		return Room{}, err
	}
	if !ok || id == "" {
		return Room{}, invalid("missing id (the room id)")
	}
	r.ID = id
	if r.Name, _, err = p.single("name"); err != nil {
		return Room{}, err
	}
	key, ok, err := p.single("key")
	switch {
	case err != nil:
		return Room{}, err
	case !ok || key == "":
		return Room{}, invalid("missing key (the chat key, %d hex characters)", 2*len(r.Key))
	case len(key) != 2*len(r.Key):
		return Room{}, invalid("key is %d characters, want %d hex characters", len(key), 2*len(r.Key))
	}
	b, err := hex.DecodeString(key)
	if err != nil {
		return Room{}, invalid("key is not hex")
	}
	copy(r.Key[:], b)
	for i, raw := range p.values["member"] {
		id, err := peer.Decode(raw)
		if err != nil {
			return Room{}, invalid("member[%d] %q is not a peer id: %v", i, clip(raw), err)
		}
		r.Members = append(r.Members, id.String())
	}
	for i, raw := range p.values["peer"] {
		addr, _, err := parsePeerAddr(raw)
		if err != nil {
			return Room{}, invalid("peer[%d] %q: %v", i, clip(raw), err)
		}
		r.Peers = append(r.Peers, addr)
	}
	if err := r.Validate(); err != nil {
		return Room{}, err
	}
	return r, nil
}

// String describes the URL without its key.
func (r Room) String() string {
	return "meshhold://room/v1 (room " + strconv.Quote(r.ID) + ", key redacted, " + strconv.Itoa(len(r.Members)) +
		" members, " + strconv.Itoa(len(r.Peers)) + " peers)"
}

// GoString is String.
func (r Room) GoString() string { return r.String() }

// Format prints String under every verb.
func (r Room) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }

// LogValue logs String.
func (r Room) LogValue() slog.Value { return slog.StringValue(r.String()) }
