package room_test

import (
	"strings"
	"testing"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
)

// relayOf starts a node that relays p's room without its key.
func relayOf(t *testing.T, p pair, seed byte) *node {
	t.Helper()
	r := newNode(t, newIdentity(t, seed), p.id)
	if meta := must[messages.RoomMeta](t, r.reg.Step(messages.RelayRoom{ID: p.id})); !meta.Relay {
		t.Fatalf("relayed room %+v", meta)
	}
	return r
}

func TestRelayStoresAndServesWithoutTheKey(t *testing.T) {
	p := newPair(t)
	r := relayOf(t, p, 5)
	var envs []messages.ChatEnvelope
	for _, s := range []string{"secret-alpha", "secret-bravo", "secret-charlie"} {
		envs = append(envs, p.a.send(s).Envelope)
	}
	// A validly signed envelope whose body is garbage: the relay cannot tell; members can.
	junk := forge(t, p.b.ident, messages.ChatEnvelope{RoomID: p.id, Seq: 1, TsMs: r.room.Now.UnixMilli(), Body: []byte("junk")}, nil, testKey)
	r.room.Events = nil
	if rep := r.receive(append(envs, junk)...); rep.Added != 4 || rep.Rejected != 0 {
		t.Fatalf("relay received %+v", rep)
	}
	if len(r.room.Events) != 0 {
		t.Fatalf("a relay reported %+v; it cannot read what it stores", r.room.Events)
	}
	bad := envs[1]
	bad.Sig = append([]byte{}, bad.Sig...)
	bad.Sig[0] ^= 1
	if rep := r.receive(bad); rep.Duplicate != 1 {
		t.Fatalf("a copy with a bad signature of a held message: %+v", rep)
	}
	st := r.status()
	if !st.Relay || st.Messages != 4 || st.Bytes == 0 || st.Heads[p.a.ident.id] != 3 || st.Unread != 0 {
		t.Fatalf("relay status %+v", st)
	}
	for _, cmd := range []any{messages.SendMessage{Body: *text("x")}, messages.ListMessages{}, messages.MarkRead{TsMs: 1},
		messages.GetChatFile{ID: strings.Repeat("ab", 32)}} {
		wantErr(t, r.room.Step(cmd), messages.ErrLocked, "relayed")
	}
	if recs := r.records(); strings.Contains(recs, "secret") || !strings.Contains(recs, "room/"+p.id+"/e/") {
		t.Fatalf("the relay's records hold plaintext, or no envelopes:\n%s", recs)
	}

	// C joins late and catches up from the relay alone: it reads everything but the junk.
	c := newNode(t, newIdentity(t, 6), p.id)
	c.join(p.id, "team", []string{p.a.ident.id, p.b.ident.id})
	got := r.since(c.status().Heads, 0)
	rep := c.receive(got.Envelopes...)
	if rep.Added != 3 || rep.Rejected != 1 || !strings.Contains(rep.Reasons[0], "tampered") {
		t.Fatalf("C caught up %+v", rep)
	}
	a := p.a.ident.id[len(p.a.ident.id)-4:]
	if all := strings.Join(c.all(2), " "); all != a+":secret-charlie "+a+":secret-bravo "+a+":secret-alpha" {
		t.Fatalf("C lists %s", all)
	}
}

// A relay that joins the room (CreateRoom with the key) reads what it stored, and indexes its
// attachments in the background.
func TestRelayThatJoinsReadsItsHistory(t *testing.T) {
	p := newPair(t)
	r := relayOf(t, p, 5)
	file := messages.ChatFileRef{ID: strings.Repeat("0f", 32), Name: "a.bin", Size: 3, Blocks: []messages.BlockRef{{Size: 3}}}
	envs := []messages.ChatEnvelope{
		p.a.send("before join").Envelope,
		must[messages.ChatSent](t, p.a.room.Step(messages.SendMessage{Body: messages.ChatBody{Type: messages.ChatTypeFile, File: &file}})).Envelope,
	}
	r.receive(envs...)
	r.reg.Events = nil
	meta := r.join(p.id, "team", []string{p.a.ident.id, p.b.ident.id})
	if meta.Relay || len(r.reg.Events) != 1 || r.reg.Events[0].Type != "room_joined" {
		t.Fatalf("joined %+v, events %+v", meta, r.reg.Events)
	}
	if st := r.status(); st.Relay || st.Messages != 2 || st.Unread != 2 {
		t.Fatalf("status after joining %+v", st)
	}
	if got := r.page("", 0).Messages; len(got) != 2 || got[1].Text != "before join" {
		t.Fatalf("lists %+v", got)
	}
	r.room.Step(host.Wake{Key: "reindex"})
	if got := must[messages.ChatFileRef](t, r.room.Step(messages.GetChatFile{ID: file.ID})); got.Name != "a.bin" || len(got.Blocks) != 1 {
		t.Fatalf("file after reindex %+v", got)
	}
	// Later messages are read and reported as they come.
	r.room.Events = nil
	if rep := r.receive(p.a.send("after join").Envelope); rep.Added != 1 || len(r.room.Events) != 1 {
		t.Fatalf("after join: %+v, events %+v", rep, r.room.Events)
	}
}
