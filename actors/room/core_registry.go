package room

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// idPattern is a room id as messages.RoomID makes it: 32 lowercase hex characters.
var idPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// registry is the core of rooms/registry: every room's record in persist.Rooms, keyed by room
// id. It keeps nothing in memory; a node holds few rooms, so the name check scans.
type registry struct{}

// LoadRegistry builds the registry core (entity rooms/registry).
func LoadRegistry(string, persist.View) (host.Core, error) { return registry{}, nil }

func (r registry) Step(now time.Time, msg any, v persist.View) host.Output {
	ms := now.UnixMilli()
	switch m := msg.(type) {
	case host.Recovered:
		return host.Output{}
	case messages.CreateRoom:
		return r.create(ms, m, v)
	case messages.RelayRoom:
		return r.relay(ms, m, v)
	case messages.DropRelay:
		return r.drop(ms, m, v)
	case messages.ListRooms:
		list := messages.RoomList{Rooms: []messages.RoomMeta{}}
		for _, rec := range r.all(v) {
			if rec.live() {
				list.Rooms = append(list.Rooms, rec.meta())
			}
		}
		return host.Output{Reply: list}
	case messages.ListPurging:
		list := messages.RoomList{Rooms: []messages.RoomMeta{}}
		for _, rec := range r.all(v) {
			if rec.Dropped && chatLeft(v, rec.ID) {
				list.Rooms = append(list.Rooms, rec.meta())
			}
		}
		return host.Output{Reply: list}
	case messages.GetRoomMeta:
		rec, err := r.read(v, m.ID)
		if err != nil {
			return host.Output{Reply: err}
		}
		if !rec.live() {
			return host.Output{Reply: messages.NotFound("room")}
		}
		return host.Output{Reply: rec.meta()}
	}
	return host.Output{Reply: fmt.Errorf("room registry: unknown command %T", msg)}
}

func (r registry) create(ms int64, m messages.CreateRoom, v persist.View) host.Output {
	members, err := checkCreate(m)
	if err != nil {
		return host.Output{Reply: err}
	}
	old, err := r.read(v, m.ID)
	if err != nil {
		return host.Output{Reply: err}
	}
	if err := r.reusable(v, old, m.ID); err != nil {
		return host.Output{Reply: err}
	}
	if old.live() && !old.Relay {
		return host.Output{Reply: fmt.Errorf("%w: room %s is already joined", messages.ErrConflict, m.ID)}
	}
	if r.nameTaken(v, m.Name, m.ID) {
		return host.Output{Reply: fmt.Errorf("%w: a joined room is already named %q", messages.ErrConflict, m.Name)}
	}
	rec := &roomRecord{ID: m.ID, Name: m.Name, Members: members, CreatedMs: ms, UpdatedMs: ms, SealedKey: slices.Clone(m.SealedKey)}
	wasRelay := old.live() && old.Relay
	if wasRelay {
		rec.CreatedMs = old.CreatedMs // the same room, now with its key: its envelopes stay
	}
	return host.Output{
		Writes: []persist.Write{putRecord(rec)},
		Events: []host.Event{{Type: "room_joined", Data: map[string]any{
			"room_id": m.ID, "name": m.Name, "members": members, "was_relay": wasRelay}}},
		Reply: rec.meta(),
	}
}

func checkCreate(m messages.CreateRoom) ([]string, error) {
	if !idPattern.MatchString(m.ID) {
		return nil, messages.Invalid("room_id", "%q is not a room id (32 lowercase hex characters)", m.ID)
	}
	if err := messages.CheckName("name", m.Name, messages.MaxRoomName, true); err != nil {
		return nil, err
	}
	if len(m.Name) > messages.MaxRoomName {
		return nil, messages.Invalid("name", "is %d bytes; at most %d", len(m.Name), messages.MaxRoomName)
	}
	if len(m.SealedKey) == 0 {
		return nil, messages.Invalid("chat_key", "a joined room needs its sealed chat key")
	}
	members := slices.Clone(m.Members)
	slices.Sort(members)
	members = slices.Compact(members)
	switch {
	case len(members) == 0:
		return nil, messages.Invalid("members", "name at least one member")
	case len(members) > messages.MaxChatMembers:
		return nil, messages.Invalid("members", "%d members; at most %d", len(members), messages.MaxChatMembers)
	}
	for _, id := range members {
		if id == "" || len(id) > 128 || strings.IndexFunc(id, func(r rune) bool { return r < 0x21 || r == 0x7f }) >= 0 {
			return nil, messages.Invalid("members", "%q is not a node id", id)
		}
	}
	return members, nil
}

func (r registry) relay(ms int64, m messages.RelayRoom, v persist.View) host.Output {
	if !idPattern.MatchString(m.ID) {
		return host.Output{Reply: messages.Invalid("room_id", "%q is not a room id (32 lowercase hex characters)", m.ID)}
	}
	old, err := r.read(v, m.ID)
	if err != nil {
		return host.Output{Reply: err}
	}
	switch {
	case old.live() && old.Relay:
		return host.Output{Reply: old.meta()}
	case old.live():
		return host.Output{Reply: fmt.Errorf("%w: room %s is joined here, not relayed", messages.ErrConflict, m.ID)}
	}
	if err := r.reusable(v, old, m.ID); err != nil {
		return host.Output{Reply: err}
	}
	rec := &roomRecord{ID: m.ID, CreatedMs: ms, UpdatedMs: ms, Relay: true}
	return host.Output{
		Writes: []persist.Write{putRecord(rec)},
		Events: []host.Event{{Type: "room_relayed", Data: map[string]any{"room_id": m.ID}}},
		Reply:  rec.meta(),
	}
}

// drop marks a relayed room dropped; its actor purges the room's records (PurgeRoom, docs/rooms.md).
func (r registry) drop(ms int64, m messages.DropRelay, v persist.View) host.Output {
	old, err := r.read(v, m.ID)
	if err != nil {
		return host.Output{Reply: err}
	}
	if !old.live() || !old.Relay {
		return host.Output{Reply: fmt.Errorf("relayed room %w", messages.ErrNotFound)}
	}
	gone := &roomRecord{ID: m.ID, CreatedMs: old.CreatedMs, UpdatedMs: ms, Relay: true, Dropped: true}
	return host.Output{
		Writes: []persist.Write{putRecord(gone)},
		Events: []host.Event{{Type: "room_relay_dropped", Data: map[string]any{"room_id": m.ID}}},
		Reply:  old.meta(),
	}
}

// reusable refuses an id whose dropped incarnation still has records being purged.
func (r registry) reusable(v persist.View, old *roomRecord, id string) error {
	if old != nil && old.Dropped && chatLeft(v, id) {
		return fmt.Errorf("%w: the dropped room %s is still being purged; try again shortly", messages.ErrConflict, id)
	}
	return nil
}

func (r registry) read(v persist.View, id string) (*roomRecord, error) {
	rec, _, err := readRecord(v, id)
	return rec, err
}

// all returns every room record, dropped ones included, in id order.
func (r registry) all(v persist.View) []*roomRecord {
	var out []*roomRecord
	v.Scan(persist.Rooms, "", "", func(_ string, val []byte) bool {
		rec := &roomRecord{}
		if json.Unmarshal(val, rec) == nil {
			out = append(out, rec)
		}
		return true
	})
	return out
}

func (r registry) nameTaken(v persist.View, name, except string) bool {
	return slices.ContainsFunc(r.all(v), func(rec *roomRecord) bool {
		return rec.live() && !rec.Relay && rec.ID != except && rec.Name == name
	})
}

// chatLeft reports whether any record of room id is left in persist.Chat.
func chatLeft(v persist.View, id string) bool {
	left := false
	v.Scan(persist.Chat, chatKeys(id).all(), "", func(string, []byte) bool {
		left = true
		return false
	})
	return left
}
