package api

import (
	"context"
	"fmt"
	"net/http"
	"regexp"

	"github.com/meshhold/meshhold/messages"
)

// RelayRequest is POST /relay/rooms.
type RelayRequest struct {
	RoomID string `json:"room_id"`
}

// roomIDShape is what messages.RoomID produces: 32 lowercase hex characters.
var roomIDShape = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Check requires a room id of the right shape.
func (q *RelayRequest) Check() error {
	if !roomIDShape.MatchString(q.RoomID) {
		return messages.Invalid("room_id", "want a room id: 32 lowercase hex characters")
	}
	return nil
}

// RelayStats is one relayed room: what its ciphertext costs this node.
type RelayStats struct {
	RoomID         string `json:"room_id"`
	CreatedMs      int64  `json:"created_ms"`
	MessageCount   int64  `json:"message_count"`
	LastActivityMs int64  `json:"last_activity_ms"`
	Bytes          int64  `json:"bytes"`
}

// RelayListReply is GET /relay/rooms.
type RelayListReply struct {
	Rooms []RelayStats `json:"rooms"`
}

func (rm *Rooms) relayRoutes() []Route {
	id := "/relay/rooms/{room_id}"
	return []Route{
		{Method: http.MethodGet, Pattern: "/relay/rooms", Access: Bearer, Handler: rm.relayList,
			Doc: Doc{Summary: "The rooms this node relays without their keys (stores ciphertext for offline members), with their stats", Response: RelayListReply{}}},
		{Method: http.MethodPost, Pattern: "/relay/rooms", Access: Bearer, Handler: rm.relayAdd,
			Doc: Doc{Summary: "Relay a room by id: store and serve its envelopes without reading them (409 when joined here)", Request: RelayRequest{}, Response: RelayStats{}, Status: http.StatusCreated}},
		{Method: http.MethodDelete, Pattern: id, Access: Bearer, Handler: rm.relayDrop,
			Doc: Doc{Summary: "Stop relaying a room and delete its stored envelopes (404 when not relayed here)"}},
		{Method: http.MethodGet, Pattern: id + "/stats", Access: Bearer, Handler: rm.relayStats,
			Doc: Doc{Summary: "A relayed room's message count, last activity and bytes", Response: RelayStats{}}},
	}
}

func relayStats(m messages.RoomMeta, st messages.RoomStatus) RelayStats {
	return RelayStats{RoomID: m.ID, CreatedMs: m.CreatedMs, MessageCount: st.Messages, LastActivityMs: st.LastTsMs, Bytes: st.Bytes}
}

func (rm *Rooms) relayList(w http.ResponseWriter, r *http.Request) {
	list, err := ask[messages.RoomList](r.Context(), rm.Actors, rm.Registry, messages.RegistryID, messages.ListRooms{})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	reply := RelayListReply{Rooms: []RelayStats{}}
	for _, m := range list.Rooms {
		if !m.Relay {
			continue
		}
		st, err := rm.status(r.Context(), m.ID)
		if err != nil {
			WriteError(w, r, fmt.Errorf("room %s: %w", m.ID, err))
			return
		}
		reply.Rooms = append(reply.Rooms, relayStats(m, st))
	}
	WriteJSON(w, http.StatusOK, reply)
}

func (rm *Rooms) relayAdd(w http.ResponseWriter, r *http.Request) {
	var req RelayRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	m, err := ask[messages.RoomMeta](r.Context(), rm.Actors, rm.Registry, messages.RegistryID, messages.RelayRoom{ID: req.RoomID})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if rm.Joined != nil {
		rm.Joined(m, nil)
	}
	WriteJSON(w, http.StatusCreated, relayStats(m, messages.RoomStatus{}))
}

// relayed answers a relayed room's meta; a joined room (or none) is 404 on the relay routes.
func (rm *Rooms) relayed(ctx context.Context, id string) (messages.RoomMeta, error) {
	m, err := rm.meta(ctx, id)
	if err == nil && !m.Relay {
		err = fmt.Errorf("room %s is joined here, not relayed: %w", id, messages.ErrNotFound)
	}
	return m, err
}

func (rm *Rooms) relayDrop(w http.ResponseWriter, r *http.Request) {
	id := roomID(r)
	if _, err := rm.relayed(r.Context(), id); err != nil {
		WriteError(w, r, err)
		return
	}
	if _, err := ask[messages.RoomMeta](r.Context(), rm.Actors, rm.Registry, messages.RegistryID, messages.DropRelay{ID: id}); err != nil {
		WriteError(w, r, err)
		return
	}
	// The registry forgot the room: its envelopes go in batches that continue by themselves.
	if _, err := ask[messages.RoomPurged](r.Context(), rm.Actors, rm.Room, id, messages.PurgeRoom{}); err != nil {
		WriteError(w, r, fmt.Errorf("purge room %s: %w", id, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rm *Rooms) relayStats(w http.ResponseWriter, r *http.Request) {
	m, err := rm.relayed(r.Context(), roomID(r))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	st, err := rm.status(r.Context(), m.ID)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, relayStats(m, st))
}
