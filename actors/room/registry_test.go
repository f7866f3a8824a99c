package room_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
)

func TestRegistryCreateConflictsAndList(t *testing.T) {
	p := newPair(t)
	other := messages.ChatKey{8}
	otherID := messages.RoomID(other, []string{p.a.ident.id})
	create := func(id, name string, members []string) any {
		return p.a.reg.Step(messages.CreateRoom{ID: id, Name: name, Members: members, SealedKey: seal(messages.ChatKeyPurpose(id), other[:])})
	}
	wantErr(t, create(p.id, "again", []string{p.a.ident.id}), messages.ErrConflict, "already joined")
	wantErr(t, create(otherID, "team", []string{p.a.ident.id}), messages.ErrConflict, "already named")
	for _, tc := range []struct {
		id, name string
		members  []string
		field    string
	}{
		{"not-an-id", "x", []string{"n"}, "room_id"},
		{otherID, " ", []string{"n"}, "name"},
		{otherID, "x", nil, "members"},
		{otherID, "x", []string{"a b"}, "members"},
	} {
		wantErr(t, create(tc.id, tc.name, tc.members), nil, tc.field)
	}
	wantErr(t, p.a.reg.Step(messages.CreateRoom{ID: otherID, Name: "x", Members: []string{"n"}}), nil, "chat_key")

	// Members are kept sorted and without duplicates.
	meta := must[messages.RoomMeta](t, create(otherID, "second", []string{"zed", p.a.ident.id, "zed"}))
	if fmt.Sprint(meta.Members) != fmt.Sprint([]string{p.a.ident.id, "zed"}) {
		t.Fatalf("members %v", meta.Members)
	}
	relayed := strings.Repeat("e", 32)
	must[messages.RoomMeta](t, p.a.reg.Step(messages.RelayRoom{ID: relayed}))
	p.a.reg.Events = nil
	if again := must[messages.RoomMeta](t, p.a.reg.Step(messages.RelayRoom{ID: relayed})); !again.Relay || len(p.a.reg.Events) != 0 {
		t.Fatalf("relaying twice: %+v, events %v", again, p.a.reg.Events)
	}
	wantErr(t, p.a.reg.Step(messages.RelayRoom{ID: p.id}), messages.ErrConflict, "joined")
	wantErr(t, p.a.reg.Step(messages.DropRelay{ID: p.id}), messages.ErrNotFound, "relayed room")
	wantErr(t, p.a.reg.Step(messages.DropRelay{ID: strings.Repeat("1", 32)}), messages.ErrNotFound, "relayed room")

	list := must[messages.RoomList](t, p.a.reg.Step(messages.ListRooms{}))
	var ids []string
	for _, r := range list.Rooms {
		ids = append(ids, r.ID)
	}
	if len(ids) != 3 || ids[0] > ids[1] || ids[1] > ids[2] {
		t.Fatalf("list %v, want 3 rooms in id order", ids)
	}
	got := must[messages.RoomMeta](t, p.a.reg.Step(messages.GetRoomMeta{ID: p.id}))
	if got.Name != "team" || len(got.SealedKey) == 0 || got.Relay {
		t.Fatalf("meta %+v", got)
	}
}

// Dropping a relay deletes its records (in batches), and the id can be relayed again afterwards.
func TestDropRelayPurgesTheRecords(t *testing.T) {
	p := newPair(t)
	r := relayOf(t, p, 5)
	var envs []messages.ChatEnvelope
	for i := range 520 {
		envs = append(envs, p.a.send(fmt.Sprint("m", i)).Envelope)
	}
	if rep := r.receive(envs...); rep.Added != 520 {
		t.Fatalf("relay received %+v", rep)
	}
	if n := r.chatRecords(p.id); n < 1000 {
		t.Fatalf("%d records: the test wants more than one purge batch", n)
	}
	wantErr(t, r.room.Step(messages.PurgeRoom{}), messages.ErrConflict, "still held")
	must[messages.RoomMeta](t, r.reg.Step(messages.DropRelay{ID: p.id}))
	wantErr(t, r.reg.Step(messages.GetRoomMeta{ID: p.id}), messages.ErrNotFound, "room")
	wantErr(t, r.room.Step(messages.ChatSince{}), messages.ErrNotFound, "room")
	wantErr(t, r.reg.Step(messages.RelayRoom{ID: p.id}), messages.ErrConflict, "still being purged")
	// A stop here leaves the purge undone: the registry lists it, so the daemon resumes it.
	if list := must[messages.RoomList](t, r.reg.Step(messages.ListPurging{})); len(list.Rooms) != 1 || list.Rooms[0].ID != p.id {
		t.Fatalf("purging %+v", list)
	}

	if done := must[messages.RoomPurged](t, r.room.Step(messages.PurgeRoom{})); done.Done {
		t.Fatal("the first batch says done")
	}
	if done := must[messages.RoomPurged](t, r.room.Step(host.Wake{Key: "purge"})); !done.Done {
		t.Fatal("the second batch is not done")
	}
	if n := r.chatRecords(p.id); n != 0 {
		t.Fatalf("%d records left after the purge", n)
	}
	if list := must[messages.RoomList](t, r.reg.Step(messages.ListPurging{})); len(list.Rooms) != 0 {
		t.Fatalf("purging after the purge %+v", list)
	}
	must[messages.RoomMeta](t, r.reg.Step(messages.RelayRoom{ID: p.id}))
	if st := r.status(); st.Messages != 0 || len(st.Heads) != 0 {
		t.Fatalf("relayed again: %+v", st)
	}
	if rep := r.receive(envs[:3]...); rep.Added != 3 {
		t.Fatalf("relayed again, received %+v", rep)
	}
}
