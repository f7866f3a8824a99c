package api

import (
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/joinurl"
)

// shareURL answers a joined room's meshhold://room/v1 URL: its key, members and where this
// node is reachable.
func (rm *Rooms) shareURL(w http.ResponseWriter, r *http.Request) {
	m, err := rm.joined(r.Context(), roomID(r))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	key, err := rm.key(m)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	u := joinurl.Room{ID: m.ID, Name: m.Name, Key: key, Members: m.Members}
	if rm.Peers != nil {
		u.Peers = rm.Peers()
	}
	if err := u.Validate(); err != nil {
		WriteError(w, r, fmt.Errorf("build the share URL of room %s: %w", m.ID, err))
		return
	}
	WriteJSON(w, http.StatusOK, RoomShareReply{URL: u.URL(), RoomID: m.ID, Name: m.Name,
		Members: nonNilStrings(u.Members), Peers: nonNilStrings(u.Peers)})
}

// join adopts a room from its share URL. A name a joined room already uses gets the room id's
// first 8 characters appended, so a join never fails on a name alone.
func (rm *Rooms) join(w http.ResponseWriter, r *http.Request) {
	var req JoinRoomRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	if req.ShareURL == "" {
		WriteError(w, r, messages.Invalid("share_url", "is required: a meshhold://room/v1 URL"))
		return
	}
	u, err := joinurl.ParseRoom(req.ShareURL)
	if err != nil {
		WriteError(w, r, messages.Invalid("share_url", "%v", err))
		return
	}
	held, err := rm.meta(r.Context(), u.ID)
	switch {
	case err == nil && !held.Relay:
		WriteError(w, r, fmt.Errorf("%w: this node already joined room %s (%q)", messages.ErrConflict, u.ID, held.Name))
		return
	case err != nil && !errors.Is(err, messages.ErrNotFound):
		WriteError(w, r, err)
		return
	}
	name, fallback := clipName(u.Name, messages.MaxRoomName), "room "+u.ID[:8]
	if name == "" {
		name = fallback
	}
	meta, err := rm.add(r.Context(), u.ID, name, u.Members, u.Key)
	if isConflict(err) && name != fallback {
		meta, err = rm.add(r.Context(), u.ID, clipName(name, messages.MaxRoomName-11)+" ("+u.ID[:8]+")", u.Members, u.Key)
	}
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if rm.Joined != nil {
		rm.Joined(meta, u.Peers)
	}
	WriteJSON(w, http.StatusCreated, roomJSON(meta, messages.RoomStatus{}))
}

// clipName cuts name to at most n bytes at a character boundary.
func clipName(name string, n int) string {
	for len(name) > n {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}
