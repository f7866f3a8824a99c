package room_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/room"
	"github.com/meshhold/meshhold/messages"
)

// pair is two members of one room, each a node with its own store and key.
type pair struct {
	id   string
	a, b *node
}

func newPair(t testing.TB) pair {
	t.Helper()
	ia, ib := newIdentity(t, 1), newIdentity(t, 2)
	members := []string{ia.id, ib.id}
	id := messages.RoomID(testKey, members)
	p := pair{id: id, a: newNode(t, ia, id), b: newNode(t, ib, id)}
	p.a.join(id, "team", members)
	p.b.join(id, "team", members)
	return p
}

func sealBody(t *testing.T, key messages.ChatKey, env messages.ChatEnvelope, body messages.ChatBody) []byte {
	t.Helper()
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(body)
	return aead.Seal(nil, env.Nonce[:], plain, env.Header())
}

func text(s string) *messages.ChatBody {
	return &messages.ChatBody{Type: messages.ChatTypeText, Text: s}
}

func TestSendReceiveRoundTrip(t *testing.T) {
	p := newPair(t)
	sent := p.a.send("hello")
	if sent.Envelope.Seq != 1 || !sent.Envelope.Prev.IsZero() || !sent.Message.IsSelf || sent.Message.Text != "hello" {
		t.Fatalf("sent %+v", sent)
	}
	// The envelope survives the wire encoding and B reads it.
	wire, err := messages.UnmarshalChatEnvelope(sent.Envelope.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	p.b.room.Events = nil
	rep := p.b.receive(wire)
	if rep.Added != 1 || rep.Rejected != 0 || len(rep.Gaps) != 0 {
		t.Fatalf("B received %+v", rep)
	}
	got := p.b.page("", 0).Messages
	if len(got) != 1 || got[0].Text != "hello" || got[0].IsSelf || got[0].Sender != p.a.ident.id || got[0].ContentHash != sent.Message.ContentHash {
		t.Fatalf("B lists %+v", got)
	}
	if len(p.b.room.Events) != 1 || p.b.room.Events[0].Type != "chat_message" {
		t.Fatalf("B events %+v", p.b.room.Events)
	}
	data := p.b.room.Events[0].Data.(map[string]any)
	for k, want := range map[string]any{"room_id": p.id, "sender_node_id": p.a.ident.id, "message_type": messages.ChatTypeText,
		"content_hash": sent.Message.ContentHash, "is_self": false, "ts_ms": sent.Envelope.TsMs} {
		if data[k] != want {
			t.Errorf("chat_message %s = %v, want %v", k, data[k], want)
		}
	}
	if st := p.b.status(); st.Messages != 1 || st.Heads[p.a.ident.id] != 1 || st.Unread != 1 || st.Bytes != int64(len(sent.Envelope.Marshal())) {
		t.Fatalf("B status %+v", st)
	}
	if st := p.a.status(); st.SelfSeq != 1 || st.Unread != 0 {
		t.Fatalf("A status %+v", st)
	}
}

// Both members end with the same order, (ts_ms, sender, seq), whatever order envelopes arrive in.
func TestOrderAcrossSendersIsTheSameOnBoth(t *testing.T) {
	p := newPair(t)
	var fromA, fromB []messages.ChatEnvelope
	for i, ms := range []int64{1000, 1000, 1005, 1003, 1003, 1010} {
		p.a.at(1_700_000_000_000 + ms)
		p.b.at(1_700_000_000_000 + ms)
		if i%2 == 0 {
			fromA = append(fromA, p.a.send("a"+string(rune('0'+i))).Envelope)
		} else {
			fromB = append(fromB, p.b.send("b"+string(rune('0'+i))).Envelope)
		}
	}
	// A gets B's in reverse, B gets A's one by one.
	slices.Reverse(fromB)
	if rep := p.a.receive(fromB...); rep.Added != 3 || rep.Rejected != 0 {
		t.Fatalf("A received %+v", rep)
	}
	for _, env := range fromA {
		if rep := p.b.receive(env); rep.Added != 1 {
			t.Fatalf("B received %+v", rep)
		}
	}
	onA, onB := p.a.all(2), p.b.all(4)
	if len(onA) != 6 || !slices.Equal(onA, onB) {
		t.Fatalf("orders differ:\nA %v\nB %v", onA, onB)
	}
	// Newest first, and each sender's own messages strictly rising.
	msgs := p.a.page("", 10).Messages
	for i := 1; i < len(msgs); i++ {
		x, y := msgs[i-1], msgs[i]
		if x.TsMs < y.TsMs || (x.TsMs == y.TsMs && x.Sender < y.Sender) {
			t.Fatalf("not newest first at %d: %+v then %+v", i, x, y)
		}
		if x.Sender == y.Sender && x.Seq <= y.Seq {
			t.Fatalf("a sender's order broke at %d", i)
		}
	}
}

func TestDuplicateIsDropped(t *testing.T) {
	p := newPair(t)
	env := p.a.send("once").Envelope
	p.b.receive(env)
	p.b.room.Events = nil
	if rep := p.b.receive(env, env); rep.Duplicate != 2 || rep.Added != 0 || rep.Rejected != 0 {
		t.Fatalf("received again %+v", rep)
	}
	// A sees its own message come back over gossip: a duplicate, not a second message.
	if rep := p.a.receive(env); rep.Duplicate != 1 {
		t.Fatalf("A got its own back: %+v", rep)
	}
	if st := p.b.status(); st.Messages != 1 || len(p.b.room.Events) != 0 {
		t.Fatalf("B holds %d messages, events %v", st.Messages, p.b.room.Events)
	}
}

func TestRejections(t *testing.T) {
	p := newPair(t)
	ia := p.a.ident
	mallory := newIdentity(t, 9)
	first := p.a.send("first").Envelope
	now := p.b.room.Now.UnixMilli()
	base := messages.ChatEnvelope{RoomID: p.id, Seq: 1, TsMs: now, Nonce: [24]byte{42}}

	badSig := first
	badSig.Sig = slices.Clone(first.Sig)
	badSig.Sig[3] ^= 1
	stolen := forge(t, mallory, base, text("hi"), testKey) // signed by mallory …
	stolen.Sender = ia.id                                  // … claiming to be A
	garbled := forge(t, ia, base, nil, testKey)
	garbled.Body = []byte("not a sealed body")
	garbled = forge(t, ia, garbled, nil, testKey)
	wrongKey := forge(t, ia, base, text("hi"), messages.ChatKey{1})
	notAMessage := base
	notAMessage.Body = sealBody(t, testKey, notAMessage, messages.ChatBody{Type: messages.ChatTypeText, Text: "  "})
	notAMessage = forge(t, ia, notAMessage, nil, testKey)
	future := base
	future.TsMs = now + messages.MaxChatClockAhead + 1
	future = forge(t, ia, future, text("later"), testKey)
	otherRoom := base
	otherRoom.RoomID = strings.Repeat("0", 32)
	otherRoom = forge(t, ia, otherRoom, text("x"), testKey)
	badFirst := base
	badFirst.Prev = messages.ChatHash{1}
	badFirst = forge(t, ia, badFirst, text("x"), testKey)

	for _, tc := range []struct {
		name string
		env  messages.ChatEnvelope
		want string
	}{
		{"bit flipped in the signature", badSig, "bad signature"},
		{"signed by another key", stolen, "bad signature"},
		{"body that is not sealed", garbled, "tampered"},
		{"body sealed under another key", wrongKey, "tampered"},
		{"body that is no valid message", notAMessage, "tampered"},
		{"too far in the future", future, "ahead of this node's clock"},
		{"another room", otherRoom, "belongs to room"},
		{"first message naming a previous one", badFirst, "chain: the sender's first message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := p.b.receive(tc.env)
			if rep.Rejected != 1 || rep.Added != 0 || len(rep.Reasons) != 1 || !strings.Contains(rep.Reasons[0], tc.want) {
				t.Fatalf("got %+v, want a rejection saying %q", rep, tc.want)
			}
		})
	}
	if st := p.b.status(); st.Messages != 0 {
		t.Fatalf("B kept %d rejected messages", st.Messages)
	}
	if rep := p.b.receive(first); rep.Added != 1 {
		t.Fatalf("the genuine message after the rejections: %+v", rep)
	}
}

// A validly signed message that rewrites A's chain is refused, whichever side arrives first.
func TestTamperedChainAndForkAreRejected(t *testing.T) {
	p := newPair(t)
	ia := p.a.ident
	m1 := p.a.send("one").Envelope
	m2 := p.a.send("two").Envelope
	now := p.b.room.Now.UnixMilli()

	wrongPrev := forge(t, ia, messages.ChatEnvelope{RoomID: p.id, Seq: 2, Prev: messages.ChatHash{9}, TsMs: now + 1, Nonce: [24]byte{5}}, text("evil"), testKey)
	p.b.receive(m1)
	if rep := p.b.receive(wrongPrev); rep.Rejected != 1 || !strings.Contains(rep.Reasons[0], "prev does not match") {
		t.Fatalf("prev mismatch: %+v", rep)
	}
	if rep := p.b.receive(m2); rep.Added != 1 {
		t.Fatalf("the genuine second message: %+v", rep)
	}
	fork := forge(t, ia, messages.ChatEnvelope{RoomID: p.id, Seq: 2, Prev: m1.Hash(), TsMs: now + 2, Nonce: [24]byte{6}}, text("other"), testKey)
	if rep := p.b.receive(fork); rep.Rejected != 1 || !strings.Contains(rep.Reasons[0], "fork") {
		t.Fatalf("fork: %+v", rep)
	}

	// A node that holds message 2 first refuses a message 1 that 2 does not name.
	c := newNode(t, newIdentity(t, 3), p.id)
	c.join(p.id, "team", []string{p.a.ident.id, p.b.ident.id})
	c.receive(m2)
	fake1 := forge(t, ia, messages.ChatEnvelope{RoomID: p.id, Seq: 1, TsMs: m1.TsMs, Nonce: [24]byte{7}}, text("fake"), testKey)
	if rep := c.receive(fake1); rep.Rejected != 1 || !strings.Contains(rep.Reasons[0], "names another previous") {
		t.Fatalf("a fake first message: %+v", rep)
	}
	if rep := c.receive(m1); rep.Added != 1 || len(rep.Gaps) != 0 {
		t.Fatalf("the genuine first message: %+v", rep)
	}
	if got := c.all(10); !slices.Equal(got, []string{p.a.ident.id[len(p.a.ident.id)-4:] + ":two", p.a.ident.id[len(p.a.ident.id)-4:] + ":one"}) {
		t.Fatalf("C lists %v", got)
	}
}

func TestGapReportedThenFilled(t *testing.T) {
	p := newPair(t)
	var envs []messages.ChatEnvelope
	for _, s := range []string{"1", "2", "3", "4", "5"} {
		envs = append(envs, p.a.send(s).Envelope)
	}
	a := p.a.ident.id
	rep := p.b.receive(envs[0], envs[2], envs[4])
	want := []messages.ChatGap{{Sender: a, From: 2, To: 2}, {Sender: a, From: 4, To: 4}}
	if rep.Added != 3 || !slices.Equal(rep.Gaps, want) {
		t.Fatalf("received %+v, want gaps %+v", rep, want)
	}
	if st := p.b.status(); st.Heads[a] != 1 || !slices.Equal(st.Gaps, want) {
		t.Fatalf("status %+v", st)
	}
	// B asks A for what it lacks past its head; A answers 2…5 in seq order.
	got := p.a.since(p.b.status().Heads, 0)
	if got.More || len(got.Envelopes) != 4 || got.Envelopes[0].Seq != 2 || got.Envelopes[3].Seq != 5 {
		t.Fatalf("since: %d envelopes, more %v", len(got.Envelopes), got.More)
	}
	rep = p.b.receive(got.Envelopes...)
	if rep.Added != 2 || rep.Duplicate != 2 || len(rep.Gaps) != 0 {
		t.Fatalf("after repair %+v", rep)
	}
	if st := p.b.status(); st.Heads[a] != 5 || st.Messages != 5 {
		t.Fatalf("status after repair %+v", st)
	}
	// Limits cut the answer and say so.
	if got := p.a.since(map[string]uint64{a: 1}, 2); !got.More || len(got.Envelopes) != 2 || got.Envelopes[0].Seq != 2 {
		t.Fatalf("limited since: %d, more %v", len(got.Envelopes), got.More)
	}
	if got := p.a.since(map[string]uint64{a: 5}, 0); got.More || len(got.Envelopes) != 0 {
		t.Fatalf("nothing lacking: %+v", got)
	}
}

// A page cursor keeps its place while newer messages arrive: no message is shown twice or skipped.
func TestCursorIsStableWhileMessagesArrive(t *testing.T) {
	p := newPair(t)
	p.a.room.Tick, p.b.room.Tick = time.Millisecond, time.Millisecond
	for i := range 7 {
		p.b.receive(p.a.send("old" + string(rune('a'+i))).Envelope)
	}
	first := p.b.page("", 3)
	if len(first.Messages) != 3 || first.Messages[0].Text != "oldg" || first.Next == "" {
		t.Fatalf("first page %+v", first)
	}
	for i := range 5 {
		p.b.receive(p.a.send("new" + string(rune('a'+i))).Envelope)
		p.b.send("mine" + string(rune('a'+i)))
	}
	var rest []string
	for cursor := first.Next; cursor != ""; {
		pg := p.b.page(cursor, 3)
		for _, m := range pg.Messages {
			rest = append(rest, m.Text)
		}
		cursor = pg.Next
	}
	if want := []string{"oldd", "oldc", "oldb", "olda"}; !slices.Equal(rest, want) {
		t.Fatalf("later pages %v, want %v", rest, want)
	}
	wantErr(t, p.b.room.Step(messages.ListMessages{Before: "nonsense!"}), nil, "before")
	wantErr(t, p.b.room.Step(messages.ListMessages{Limit: messages.MaxChatPage + 1}), nil, "limit")
}

func TestReadMarkerAndUnread(t *testing.T) {
	p := newPair(t)
	var ts []int64
	for i := range 3 {
		p.a.at(1_700_000_001_000 + int64(i)*10)
		env := p.a.send("m").Envelope
		ts = append(ts, env.TsMs)
		p.b.receive(env)
	}
	p.b.send("my own")
	if st := p.b.status(); st.Unread != 3 {
		t.Fatalf("unread %d, want 3 (own messages never count)", st.Unread)
	}
	p.b.room.Events = nil
	st := must[messages.RoomStatus](t, p.b.room.Step(messages.MarkRead{TsMs: ts[1]}))
	if st.Unread != 1 || st.ReadTsMs != ts[1] || len(p.b.room.Events) != 1 || p.b.room.Events[0].Type != "chat_read" {
		t.Fatalf("after read: %+v events %+v", st, p.b.room.Events)
	}
	// Never back.
	st = must[messages.RoomStatus](t, p.b.room.Step(messages.MarkRead{TsMs: ts[0]}))
	if st.Unread != 1 || st.ReadTsMs != ts[1] || len(p.b.room.Events) != 1 {
		t.Fatalf("marker moved back: %+v", st)
	}
	// It survives a restart.
	p.b.room.Reload()
	if st := p.b.status(); st.Unread != 1 || st.ReadTsMs != ts[1] {
		t.Fatalf("after reload %+v", st)
	}
}

// A read marker past this node's clock (a client sending µs, say) is refused, as every other
// member refuses such a receipt: accepted, it would leave every later message counted read.
func TestReadMarkerInTheFutureRefused(t *testing.T) {
	p := newPair(t)
	env := p.a.send("hello").Envelope
	p.b.receive(env)
	wantErr(t, p.b.room.Step(messages.MarkRead{TsMs: env.TsMs * 1000}), nil, "ts_ms")
	if st := p.b.status(); st.ReadTsMs != 0 || st.Unread != 1 {
		t.Fatalf("a refused marker moved: %+v", st)
	}
	p.b.receive(p.a.send("later").Envelope)
	if st := p.b.status(); st.Unread != 2 {
		t.Fatalf("unread %d, want 2: later messages must still count", st.Unread)
	}
}

// A read marker that moves yields a receipt signed by the reader; the other member records it
// (never back, surviving a restart) and refuses a forged, a stale or another room's receipt.
func TestReadReceipts(t *testing.T) {
	p := newPair(t)
	env := p.a.send("hello").Envelope
	p.b.receive(env)
	st := must[messages.RoomStatus](t, p.b.room.Step(messages.MarkRead{TsMs: env.TsMs}))
	rc := st.Receipt
	if rc == nil || rc.Reader != p.b.ident.id || rc.TsMs != env.TsMs || !room.VerifyPeerSig(rc.Reader, rc.Signed(), rc.Sig) {
		t.Fatalf("receipt %+v", rc)
	}
	back, err := messages.UnmarshalChatReceipt(rc.Marshal())
	if err != nil || !messages.IsChatReceipt(rc.Marshal()) || back.TsMs != rc.TsMs || back.Reader != rc.Reader {
		t.Fatalf("receipt round trip %+v %v", back, err)
	}
	p.a.room.Events = nil
	got := must[messages.RoomStatus](t, p.a.room.Step(messages.ReceiveReceipt{Receipt: back}))
	if got.ReadBy[p.b.ident.id] != env.TsMs || len(p.a.room.Events) != 1 || p.a.room.Events[0].Type != "chat_read" {
		t.Fatalf("after the receipt: %+v events %+v", got.ReadBy, p.a.room.Events)
	}
	forged := *rc
	forged.TsMs += 1000
	wantErr(t, p.a.room.Step(messages.ReceiveReceipt{Receipt: forged}), nil, "not signed by its reader")
	other := *rc
	other.RoomID = "elsewhere"
	wantErr(t, p.a.room.Step(messages.ReceiveReceipt{Receipt: other}), nil, "room")
	stale := messages.ChatReceipt{RoomID: rc.RoomID, Reader: rc.Reader, TsMs: rc.TsMs - 1}
	stale.Sig = room.Signer(p.b.ident.priv)(stale.Signed())
	if st := must[messages.RoomStatus](t, p.a.room.Step(messages.ReceiveReceipt{Receipt: stale})); st.ReadBy[p.b.ident.id] != env.TsMs {
		t.Fatalf("a stale receipt moved the marker back: %+v", st.ReadBy)
	}
	p.a.room.Reload()
	if st := p.a.status(); st.ReadBy[p.b.ident.id] != env.TsMs {
		t.Fatalf("after reload %+v", st.ReadBy)
	}
}

// A restart reloads the own chain from the records: the next message chains on the last one.
func TestRestartKeepsTheOwnChain(t *testing.T) {
	p := newPair(t)
	m1, m2 := p.a.send("one").Envelope, p.a.send("two").Envelope
	p.a.room.Reload()
	m3 := p.a.send("three").Envelope
	if m3.Seq != 3 || m3.Prev != m2.Hash() || m3.TsMs <= m2.TsMs {
		t.Fatalf("after reload: seq %d prev ok %v ts %d after %d", m3.Seq, m3.Prev == m2.Hash(), m3.TsMs, m2.TsMs)
	}
	if rep := p.b.receive(m3, m1, m2); rep.Added != 3 || rep.Rejected != 0 || len(rep.Gaps) != 0 {
		t.Fatalf("B received %+v", rep)
	}
	if st := p.a.status(); st.SelfSeq != 3 || st.Messages != 3 {
		t.Fatalf("A status %+v", st)
	}
}

func TestSendChecksTheBody(t *testing.T) {
	p := newPair(t)
	for _, tc := range []struct {
		body  messages.ChatBody
		field string
	}{
		{messages.ChatBody{Type: messages.ChatTypeText, Text: " \n"}, "text"},
		{messages.ChatBody{Type: messages.ChatTypeText, Text: strings.Repeat("x", messages.MaxChatText+1)}, "text"},
		{messages.ChatBody{Type: messages.ChatTypeLocation, Location: &messages.ChatLocation{Lat: 91}}, "lat"},
		{messages.ChatBody{Type: messages.ChatTypeLocation}, "location"},
		{messages.ChatBody{Type: messages.ChatTypeFile, File: &messages.ChatFileRef{ID: "xyz", Name: "a"}}, "file.id"},
		{messages.ChatBody{Type: "VIDEO"}, "type"},
	} {
		reply := p.a.room.Step(messages.SendMessage{Body: tc.body})
		wantErr(t, reply, nil, tc.field)
		var inv *messages.InvalidError
		if err, _ := reply.(error); !errors.As(err, &inv) || inv.Field != tc.field {
			t.Errorf("body %+v: %v, want an InvalidError on %s", tc.body, reply, tc.field)
		}
	}
	if st := p.a.status(); st.SelfSeq != 0 {
		t.Fatalf("a refused body used seq %d", st.SelfSeq)
	}
	loc := p.a.room.Step(messages.SendMessage{Body: messages.ChatBody{Type: messages.ChatTypeLocation,
		Location: &messages.ChatLocation{Lat: 48.85, Lng: 2.35, Label: "Paris"}}})
	if m := must[messages.ChatSent](t, loc).Message; m.Location == nil || m.Location.Label != "Paris" || m.Type != messages.ChatTypeLocation {
		t.Fatalf("location message %+v", m)
	}
}

func TestFilesAreIndexed(t *testing.T) {
	p := newPair(t)
	ref := messages.ChatFileRef{ID: strings.Repeat("ab", 32), Name: "notes.txt", ContentType: "text/plain", Size: 10,
		Blocks: []messages.BlockRef{{Addr: messages.BlockAddr{1}, Size: 6}, {Addr: messages.BlockAddr{2}, Size: 4}}}
	sent := must[messages.ChatSent](t, p.a.room.Step(messages.SendMessage{Body: messages.ChatBody{Type: messages.ChatTypeFile, File: &ref}}))
	if sent.Message.File == nil || sent.Message.File.Blocks != nil || sent.Message.File.Name != "notes.txt" {
		t.Fatalf("the answer shows %+v", sent.Message.File)
	}
	p.b.receive(sent.Envelope)
	for _, n := range []*node{p.a, p.b} {
		got := must[messages.ChatFileRef](t, n.room.Step(messages.GetChatFile{ID: ref.ID}))
		if len(got.Blocks) != 2 || got.Blocks[1].Addr != ref.Blocks[1].Addr || got.Size != 10 {
			t.Fatalf("file ref %+v", got)
		}
	}
	wantErr(t, p.b.room.Step(messages.GetChatFile{ID: strings.Repeat("cd", 32)}), messages.ErrNotFound, "file")
}

// The attachment index pages in file-id order with its blocks, and skips text messages.
func TestListChatFilesPages(t *testing.T) {
	p := newPair(t)
	var ids []string
	for i, hexByte := range []string{"03", "01", "02"} {
		ref := messages.ChatFileRef{ID: strings.Repeat(hexByte, 32), Name: fmt.Sprint("f", i), Size: 4,
			Blocks: []messages.BlockRef{{Addr: messages.BlockAddr{byte(i + 1)}, Size: 4}}}
		must[messages.ChatSent](t, p.a.room.Step(messages.SendMessage{Body: messages.ChatBody{Type: messages.ChatTypeFile, File: &ref}}))
		p.a.send("a text between")
		ids = append(ids, ref.ID)
	}
	slices.Sort(ids)
	var got []string
	after := ""
	for range 5 {
		page := must[messages.ChatFiles](t, p.a.room.Step(messages.ListChatFiles{After: after, Limit: 2}))
		for _, f := range page.Files {
			if len(f.Blocks) != 1 {
				t.Fatalf("file %s without its blocks: %+v", f.ID, f)
			}
			got = append(got, f.ID)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("pages %v, want %v", got, ids)
	}
}

func TestUnknownRoomIsNotFound(t *testing.T) {
	n := newNode(t, newIdentity(t, 4), strings.Repeat("f", 32))
	wantErr(t, n.room.Step(messages.GetRoomStatus{}), messages.ErrNotFound, "room")
	wantErr(t, n.room.Step(messages.SendMessage{Body: *text("x")}), messages.ErrNotFound, "room")
	if _, ok := n.room.Step(host.Recovered{}).(error); ok {
		t.Fatal("Recovered answered an error")
	}
}
