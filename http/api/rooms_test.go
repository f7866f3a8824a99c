package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/actors/room"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/joinurl"
)

// createRoom makes a room on r and returns its id.
func createRoom(t *testing.T, r *roomsRig, body string) string {
	t.Helper()
	code, m := r.do("POST", "/rooms", body)
	if code != 201 {
		t.Fatalf("POST /rooms %s: %d %v", body, code, m)
	}
	return m["room_id"].(string)
}

// POST /rooms: the id derives from the key and the members (this node always one of them), a
// given key may be hex or base64, and a room or a name already joined is a 409.
func TestCreateRoom(t *testing.T) {
	r := newRoomsRig(t)
	var key messages.ChatKey
	_, _ = rand.Read(key[:])
	code, m := r.do("POST", "/rooms", fmt.Sprintf(`{"name":"Family","members":[%q],"chat_key":%q}`, profOther, hex.EncodeToString(key[:])))
	want := messages.RoomID(key, []string{profOther, r.id})
	if code != 201 || m["room_id"] != want || fmt.Sprint(m["members"]) != fmt.Sprint(sortedPair(profOther, r.id)) || m["unread"] != 0.0 {
		t.Fatalf("POST /rooms: %d %v, want room_id %s", code, m, want)
	}
	// The same key and members in base64: the same room, already joined.
	b64 := base64.StdEncoding.EncodeToString(key[:])
	if code, m = r.do("POST", "/rooms", fmt.Sprintf(`{"name":"Other name","members":[%q],"chat_key":%q}`, profOther, b64)); code != 409 {
		t.Fatalf("same key again: %d %v", code, m)
	}
	if code, m = r.do("POST", "/rooms", `{"name":"Family"}`); code != 409 || !strings.Contains(fmt.Sprint(m["error"]), "Family") {
		t.Fatalf("same name again: %d %v", code, m)
	}
	// Without a key one is minted: two rooms of the same members differ.
	a, b := createRoom(t, r, `{"name":"A"}`), createRoom(t, r, `{"name":"B"}`)
	if a == b || len(a) != 32 {
		t.Fatalf("minted rooms %s and %s", a, b)
	}
	for body, field := range map[string]string{
		`{"name":""}`:                                 "name",
		`{"name":"x","members":["bob"]}`:              "members[0]",
		`{"name":"x","chat_key":"abcd"}`:              "chat_key",
		`{"name":"` + strings.Repeat("n", 129) + `"}`: "name",
		`{"name":"x","colour":"red"}`:                 "colour",
	} {
		if code, m := r.do("POST", "/rooms", body); code != 400 || !strings.Contains(fmt.Sprint(m["error"]), field) {
			t.Errorf("POST /rooms %s: %d %v, want 400 naming %s", body, code, m, field)
		}
	}
	code, list := r.do("GET", "/rooms", "")
	if code != 200 || len(list["rooms"].([]any)) != 3 {
		t.Fatalf("GET /rooms: %d %v", code, list)
	}
}

func sortedPair(a, b string) []string {
	if a > b {
		a, b = b, a
	}
	return []string{a, b}
}

// Text and location messages come back newest first, a page at a time with a stable cursor;
// bad bodies are 400s naming the field, an unknown room a 404; every sent message reaches Sent
// with a verifiable envelope.
func TestMessagesPageAndValidation(t *testing.T) {
	r := newRoomsRig(t)
	id := createRoom(t, r, `{"name":"Chat"}`)
	for _, text := range []string{"one", "two", "three"} {
		if code, m := r.do("POST", "/rooms/"+id+"/messages", fmt.Sprintf(`{"text":%q}`, text)); code != 201 || m["text"] != text || m["is_self"] != true || m["message_type"] != "TEXT" {
			t.Fatalf("send %s: %d %v", text, code, m)
		}
	}
	code, m := r.do("POST", "/rooms/"+id+"/messages/location", `{"lat":48.85,"lng":2.35,"label":"Paris"}`)
	if code != 201 || m["message_type"] != "LOCATION" || fmt.Sprint(m["location"]) != "map[label:Paris lat:48.85 lng:2.35]" {
		t.Fatalf("send location: %d %v", code, m)
	}
	code, page := r.do("GET", "/rooms/"+id+"/messages?limit=3", "")
	msgs, _ := page["messages"].([]any)
	if code != 200 || len(msgs) != 3 || page["next"] == nil {
		t.Fatalf("page 1: %d %v", code, page)
	}
	if got := []any{msgs[0].(map[string]any)["message_type"], msgs[1].(map[string]any)["text"], msgs[2].(map[string]any)["text"]}; fmt.Sprint(got) != "[LOCATION three two]" {
		t.Fatalf("page 1 is not newest first: %v", got)
	}
	// A message sent now does not move the older pages.
	r.do("POST", "/rooms/"+id+"/messages", `{"text":"four"}`)
	code, page2 := r.do("GET", "/rooms/"+id+"/messages?limit=3&before="+page["next"].(string), "")
	msgs2, _ := page2["messages"].([]any)
	if code != 200 || len(msgs2) != 1 || msgs2[0].(map[string]any)["text"] != "one" || page2["next"] != nil {
		t.Fatalf("page 2: %d %v", code, page2)
	}
	for _, tc := range []struct{ path, body, field string }{
		{"/messages", `{"text":""}`, "text"},
		{"/messages", `{"text":"   "}`, "text"},
		{"/messages", fmt.Sprintf(`{"text":%q}`, strings.Repeat("x", messages.MaxChatText+1)), "text"},
		{"/messages/location", `{"lat":91,"lng":0}`, "lat"},
		{"/messages/location", `{"lat":0,"lng":-180.5}`, "lng"},
		{"/messages/location", `{"lng":1}`, "lat"},
	} {
		if code, m := r.do("POST", "/rooms/"+id+tc.path, tc.body); code != 400 || !strings.Contains(fmt.Sprint(m["error"]), tc.field) {
			t.Errorf("POST %s %.40s: %d %v, want 400 naming %s", tc.path, tc.body, code, m, tc.field)
		}
	}
	if code, m := r.do("GET", "/rooms/"+id+"/messages?limit=501", ""); code != 400 {
		t.Errorf("limit 501: %d %v", code, m)
	}
	if code, m := r.do("POST", "/rooms/"+id+"/messages", `{"text":"`+strings.Repeat(`\u0000`, 20000)+`"}`); code != 413 {
		t.Errorf("a body past the JSON limit: %d %v", code, m)
	}
	unknown := strings.Repeat("ab", 16)
	for _, p := range []string{"/messages", "/share-url"} {
		if code, m := r.do("GET", "/rooms/"+unknown+p, ""); code != 404 {
			t.Errorf("GET %s of an unknown room: %d %v", p, code, m)
		}
	}
	if code, _ := r.do("POST", "/rooms/"+unknown+"/messages", `{"text":"hi"}`); code != 404 {
		t.Errorf("POST to an unknown room: %d", code)
	}
	env := r.lastSent()
	if env.RoomID != id || env.Sender != r.id || env.Seq != 5 || !verifies(env) {
		t.Fatalf("the last envelope handed to Sent: room %s sender %s seq %d", env.RoomID, env.Sender, env.Seq)
	}
}

// An attachment is stored as sealed blocks and comes back intact (whole and by Range); the
// blocks stay pinned; too large is 413, a body without the file field 400.
func TestAttachment(t *testing.T) {
	r := newRoomsRig(t)
	id := createRoom(t, r, `{"name":"Files"}`)
	data := make([]byte, 1<<20+123)
	_, _ = rand.Read(data)
	rec := r.upload(id, "photo.jpg", data, "look")
	if rec.Code != 201 {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	var msg messages.ChatMessage
	mustJSON(t, rec.Body.Bytes(), &msg)
	if msg.Type != "FILE" || msg.File == nil || msg.File.Size != int64(len(data)) || msg.File.Name != "photo.jpg" || msg.Text != "look" {
		t.Fatalf("upload answered %+v", msg)
	}
	if len(msg.File.Blocks) != 0 {
		t.Fatalf("the answer carries the block secrets: %d blocks", len(msg.File.Blocks))
	}
	if r.pins.Len() < 3 {
		t.Fatalf("%d blocks pinned after the upload, want the attachment's 3", r.pins.Len())
	}
	blob := api.Prefix + "/rooms/" + id + "/files/" + msg.File.ID + "/blob"
	got := r.raw(httptest.NewRequest("GET", blob, nil))
	if got.Code != 200 || !bytes.Equal(got.Body.Bytes(), data) || !strings.Contains(got.Header().Get("Content-Disposition"), "photo.jpg") {
		t.Fatalf("blob: %d, %d bytes, disposition %q", got.Code, got.Body.Len(), got.Header().Get("Content-Disposition"))
	}
	req := httptest.NewRequest("GET", blob, nil)
	req.Header.Set("Range", "bytes=524280-524300")
	if got := r.raw(req); got.Code != 206 || !bytes.Equal(got.Body.Bytes(), data[524280:524301]) {
		t.Fatalf("range across a block boundary: %d %d bytes", got.Code, got.Body.Len())
	}
	if got := r.raw(httptest.NewRequest("GET", api.Prefix+"/rooms/"+id+"/files/"+strings.Repeat("0", 64)+"/blob", nil)); got.Code != 404 {
		t.Fatalf("unknown file: %d %s", got.Code, got.Body)
	}
	if rec := r.upload(id, "big.bin", make([]byte, 3<<20+1), ""); rec.Code != 413 || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Fatalf("over the limit: %d %s", rec.Code, rec.Body)
	}
	if rec := r.upload(id, "", nil, "just text"); rec.Code != 400 || !strings.Contains(rec.Body.String(), "file") {
		t.Fatalf("no file field: %d %s", rec.Code, rec.Body)
	}
	if rec := r.upload(id, "empty.txt", nil, ""); rec.Code != 400 {
		t.Fatalf("an empty file: %d %s", rec.Code, rec.Body)
	}
}

// A share URL carries the room to a second node: it joins (Joined gets the peers), posts, and
// the first node, handed that envelope, counts it unread until the read marker passes it. The
// second join is a 409; a malformed URL a 400.
func TestShareJoinUnreadAndRead(t *testing.T) {
	a, b := newRoomsRig(t), newRoomsRig(t)
	id := createRoom(t, a, fmt.Sprintf(`{"name":"Pair","members":[%q]}`, b.id))
	code, share := a.do("GET", "/rooms/"+id+"/share-url", "")
	if code != 200 || share["room_id"] != id || !strings.HasPrefix(share["url"].(string), "meshhold://room/v1?id="+id) {
		t.Fatalf("share-url: %d %v", code, share)
	}
	if u, err := joinurl.ParseRoom(share["url"].(string)); err != nil || len(u.Peers) != 1 {
		t.Fatalf("the share URL does not parse: %v %v", u, err)
	}
	body := fmt.Sprintf(`{"share_url":%q}`, share["url"])
	code, joined := b.do("POST", "/rooms/join", body)
	if code != 201 || joined["room_id"] != id || joined["name"] != "Pair" {
		t.Fatalf("join: %d %v", code, joined)
	}
	if len(b.joined) != 1 || !strings.Contains(b.joined[0], "/p2p/"+a.id) {
		t.Fatalf("Joined saw %v", b.joined)
	}
	if code, m := b.do("POST", "/rooms/join", body); code != 409 {
		t.Fatalf("join twice: %d %v", code, m)
	}
	if code, m := b.do("POST", "/rooms/join", `{"share_url":"meshhold://room/v1?id=x"}`); code != 400 || !strings.Contains(fmt.Sprint(m["error"]), "share_url") {
		t.Fatalf("malformed URL: %d %v", code, m)
	}
	code, m := b.do("POST", "/rooms/"+id+"/messages", `{"text":"hello from b"}`)
	if code != 201 {
		t.Fatalf("b posts: %d %v", code, m)
	}
	if got := a.receive(id, b.lastSent()); got.Added != 1 {
		t.Fatalf("a received %+v", got)
	}
	code, list := a.do("GET", "/rooms", "")
	rooms := list["rooms"].([]any)
	if code != 200 || len(rooms) != 1 || rooms[0].(map[string]any)["unread"] != 1.0 {
		t.Fatalf("GET /rooms before reading: %d %v", code, list)
	}
	code, st := a.do("POST", "/rooms/"+id+"/read", fmt.Sprintf(`{"ts_ms":%d}`, int64(m["ts_ms"].(float64))))
	if code != 200 || st["unread"] != 0.0 {
		t.Fatalf("read: %d %v", code, st)
	}
	if _, list = a.do("GET", "/rooms", ""); list["rooms"].([]any)[0].(map[string]any)["unread"] != 0.0 {
		t.Fatalf("GET /rooms after reading: %v", list)
	}
	if code, m := a.do("POST", "/rooms/"+id+"/read", `{}`); code != 400 {
		t.Fatalf("read without ts_ms: %d %v", code, m)
	}
	code, page := a.do("GET", "/rooms/"+id+"/messages", "")
	if msgs := page["messages"].([]any); code != 200 || len(msgs) != 1 || msgs[0].(map[string]any)["text"] != "hello from b" || msgs[0].(map[string]any)["is_self"] != false {
		t.Fatalf("a's messages: %d %v", code, page)
	}
}

// A relay holds a room without its key: it lists with stats, stores what it is handed, cannot
// serve the messages, and drops it; a joined room cannot be relayed.
func TestRelayRooms(t *testing.T) {
	a, relay := newRoomsRig(t), newRoomsRig(t)
	id := createRoom(t, a, `{"name":"Relayed"}`)
	if code, m := relay.do("POST", "/relay/rooms", fmt.Sprintf(`{"room_id":%q}`, id)); code != 201 || m["room_id"] != id {
		t.Fatalf("relay: %d %v", code, m)
	}
	a.do("POST", "/rooms/"+id+"/messages", `{"text":"sealed"}`)
	if got := relay.receive(id, a.lastSent()); got.Added != 1 {
		t.Fatalf("the relay received %+v", got)
	}
	code, stats := relay.do("GET", "/relay/rooms/"+id+"/stats", "")
	if code != 200 || stats["message_count"] != 1.0 || stats["bytes"].(float64) <= 0 || stats["last_activity_ms"].(float64) <= 0 {
		t.Fatalf("stats: %d %v", code, stats)
	}
	if code, list := relay.do("GET", "/relay/rooms", ""); code != 200 || len(list["rooms"].([]any)) != 1 {
		t.Fatalf("GET /relay/rooms: %d %v", code, list)
	}
	if code, list := relay.do("GET", "/rooms", ""); code != 200 || len(list["rooms"].([]any)) != 0 {
		t.Fatalf("a relayed room listed as joined: %d %v", code, list)
	}
	if code, m := relay.do("GET", "/rooms/"+id+"/messages", ""); code != 403 {
		t.Fatalf("the relay reads messages: %d %v", code, m)
	}
	if code, m := a.do("POST", "/relay/rooms", fmt.Sprintf(`{"room_id":%q}`, id)); code != 409 {
		t.Fatalf("relaying a joined room: %d %v", code, m)
	}
	if code, m := a.do("GET", "/relay/rooms/"+id+"/stats", ""); code != 404 {
		t.Fatalf("relay stats of a joined room: %d %v", code, m)
	}
	if code, m := relay.do("POST", "/relay/rooms", `{"room_id":"nope"}`); code != 400 {
		t.Fatalf("bad room id: %d %v", code, m)
	}
	if code, m := relay.do("DELETE", "/relay/rooms/"+id, ""); code != 204 {
		t.Fatalf("drop: %d %v", code, m)
	}
	if code, _ := relay.do("DELETE", "/relay/rooms/"+id, ""); code != 404 {
		t.Fatalf("drop twice: %d", code)
	}
	if code, list := relay.do("GET", "/relay/rooms", ""); code != 200 || len(list["rooms"].([]any)) != 0 {
		t.Fatalf("after the drop: %d %v", code, list)
	}
}

// verifies checks an envelope's signature against its sender's peer id.
func verifies(env messages.ChatEnvelope) bool {
	return room.VerifyPeerSig(env.Sender, env.Signed(), env.Sig)
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}

// Every documented route of the rooms theme (the inbound hooks aside, served by Hooks) is
// served by Rooms with the documented access rule.
func TestRoomsServeTheirTheme(t *testing.T) {
	table, err := apitest.LoadTable(tables...)
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]api.Access{}
	for _, rt := range (&api.Rooms{}).Routes() {
		served[apitest.Key(rt.Method, rt.Pattern)] = rt.Access
	}
	n := 0
	for key, row := range table {
		if row.Theme != "rooms" || strings.HasPrefix(row.Path, "/hooks/") {
			continue
		}
		n++
		if access, ok := served[key]; !ok || access != row.Access {
			t.Errorf("%s (%s) is documented as %s; Rooms serves it: %v %s", key, row.Source, row.Access, ok, access)
		}
	}
	if n != 15 || len(served) != n {
		t.Fatalf("%d documented rooms routes, %d served; want 15 each", n, len(served))
	}
}
