package main

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// One daemon, one room, end to end over the real binary: create, post text, location and a
// file, page newest first with a cursor, download the attachment intact, the read marker, the
// room's WebSocket (with ?token=) and /events/stream both see a posted message, and bad inputs
// answer 400/404/409/413 with {"error": …}.
func TestRoomsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	p := start(t, testConfig(t, dir, ""))
	p.setPassword("correct horse battery")
	tok := p.login("correct horse battery")
	auth := bearer(tok)

	resp, room := p.send("POST", "/rooms", map[string]any{"name": "Family"}, auth...)
	if resp.StatusCode != 201 || len(room["room_id"].(string)) != 32 || len(room["members"].([]any)) != 1 {
		t.Fatalf("create room: %d %v", resp.StatusCode, room)
	}
	id := room["room_id"].(string)
	base := "/rooms/" + id

	sse := openStream(t, p, tok, "")
	ws, wresp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(p.api, "http")+base+"/stream?token="+url.QueryEscape(tok), nil)
	if err != nil {
		t.Fatalf("room WebSocket: %v %v", err, wresp)
	}
	defer ws.Close()

	for _, text := range []string{"first", "second"} {
		if resp, m := p.send("POST", base+"/messages", map[string]string{"text": text}, auth...); resp.StatusCode != 201 || m["text"] != text {
			t.Fatalf("post %s: %d %v", text, resp.StatusCode, m)
		}
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, frame, err := ws.ReadMessage()
	if err != nil || !strings.Contains(string(frame), `"type":"chat_message"`) || !strings.Contains(string(frame), `"text":"first"`) {
		t.Fatalf("WebSocket frame %s, %v", frame, err)
	}
	if ev := sse.event(t, "chat_message"); !strings.Contains(ev.data, `"room_id":"`+id+`"`) || !strings.Contains(ev.data, `"is_self":true`) {
		t.Fatalf("SSE chat_message %v", ev)
	}
	if resp, m := p.send("POST", base+"/messages/location", map[string]any{"lat": 59.33, "lng": 18.07, "label": "Stockholm"}, auth...); resp.StatusCode != 201 || m["message_type"] != "LOCATION" {
		t.Fatalf("post location: %d %v", resp.StatusCode, m)
	}
	data := randomBytes(700 << 10)
	resp, file := postAttachment(t, p, tok, base, "notes.bin", data)
	if resp.StatusCode != 201 || file["message_type"] != "FILE" {
		t.Fatalf("post file: %d %v", resp.StatusCode, file)
	}
	fileID := file["file"].(map[string]any)["id"].(string)
	got, body := getRaw(t, p, tok, base+"/files/"+fileID+"/blob")
	if got.StatusCode != 200 || !bytes.Equal(body, data) || !strings.Contains(got.Header.Get("Content-Disposition"), "notes.bin") {
		t.Fatalf("download attachment: %d, %d bytes", got.StatusCode, len(body))
	}

	// Newest first, two per page, the cursor walks back to the first message.
	var order []string
	before := ""
	for range 5 {
		resp, page := p.call("GET", base+"/messages?limit=2&before="+url.QueryEscape(before), nil, auth...)
		if resp.StatusCode != 200 {
			t.Fatalf("page: %d %v", resp.StatusCode, page)
		}
		for _, m := range page["messages"].([]any) {
			mm := m.(map[string]any)
			text, _ := mm["text"].(string)
			order = append(order, fmt.Sprint(mm["message_type"], ":", text))
		}
		next, _ := page["next"].(string)
		if next == "" {
			break
		}
		before = next
	}
	if fmt.Sprint(order) != "[FILE: LOCATION: TEXT:second TEXT:first]" {
		t.Fatalf("pages newest first: %v", order)
	}

	// The read marker: unread counts others' messages, so it stays 0 here; it never moves back.
	resp, st := p.send("POST", base+"/read", map[string]any{"ts_ms": time.Now().UnixMilli()}, auth...)
	if resp.StatusCode != 200 || st["unread"] != 0.0 || st["read_ts_ms"].(float64) <= 0 {
		t.Fatalf("read: %d %v", resp.StatusCode, st)
	}
	resp, list := p.call("GET", "/rooms", nil, auth...)
	rooms, _ := list["rooms"].([]any)
	if resp.StatusCode != 200 || len(rooms) != 1 || rooms[0].(map[string]any)["unread"] != 0.0 || rooms[0].(map[string]any)["message_count"] != 4.0 {
		t.Fatalf("GET /rooms: %d %v", resp.StatusCode, list)
	}
	resp, share := p.call("GET", base+"/share-url", nil, auth...)
	if resp.StatusCode != 200 || !strings.HasPrefix(share["url"].(string), "meshhold://room/v1?id="+id) {
		t.Fatalf("share-url: %d %v", resp.StatusCode, share)
	}

	// Bad inputs.
	unknown := "/rooms/" + strings.Repeat("0", 32)
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", base + "/messages", map[string]string{"text": ""}, 400},
		{"POST", base + "/messages/location", map[string]any{"lat": 120, "lng": 0}, 400},
		{"POST", base + "/read", map[string]any{}, 400},
		{"POST", "/rooms", map[string]any{"name": ""}, 400},
		{"POST", "/rooms/join", map[string]any{"share_url": "meshhold://room/v1?id=1"}, 400},
		{"POST", unknown + "/messages", map[string]string{"text": "hi"}, 404},
		{"GET", unknown + "/messages", nil, 404},
		{"POST", "/rooms", map[string]any{"name": "Family"}, 409},
		{"POST", "/rooms/join", map[string]any{"share_url": share["url"]}, 409},
		{"DELETE", "/relay/rooms/" + strings.Repeat("0", 32), nil, 404},
	} {
		var resp *http.Response
		var m map[string]any
		if tc.body == nil {
			resp, m = p.call(tc.method, tc.path, nil, auth...)
		} else {
			resp, m = p.send(tc.method, tc.path, tc.body, auth...)
		}
		if resp.StatusCode != tc.want || m["error"] == nil {
			t.Errorf("%s %s: %d %v, want %d with an error", tc.method, tc.path, resp.StatusCode, m, tc.want)
		}
	}
	if resp, m := postAttachment(t, p, tok, base, "huge.bin", make([]byte, 25<<20+1)); resp.StatusCode != 413 || m["error"] == nil {
		t.Fatalf("an attachment over 25 MiB: %d %v", resp.StatusCode, m)
	}
}

// postAttachment sends data as the multipart field "file".
func postAttachment(t *testing.T, p *proc, tok, base, name string, data []byte) (*http.Response, map[string]any) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	return p.call("POST", base+"/messages/file", &b, "Content-Type", mw.FormDataContentType(), "Authorization", "Bearer "+tok)
}

// getRaw answers a GET with its body bytes.
func getRaw(t *testing.T, p *proc, tok, path string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", p.api+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// Rooms survive a restart (messages and attachments), and an inbound webhook declared for a
// room posts into it under the body's username.
func TestRoomsRestartAndInboundWebhook(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "")
	p := start(t, cfg)
	p.setPassword("correct horse battery")
	tok := p.login("correct horse battery")
	resp, room := p.send("POST", "/rooms", map[string]any{"name": "Builds"}, bearer(tok)...)
	if resp.StatusCode != 201 {
		t.Fatalf("create room: %d %v", resp.StatusCode, room)
	}
	id := room["room_id"].(string)
	data := randomBytes(600 << 10)
	resp, file := postAttachment(t, p, tok, "/rooms/"+id, "log.txt", data)
	if resp.StatusCode != 201 {
		t.Fatalf("post file: %d %v", resp.StatusCode, file)
	}
	p.stop()

	const hook = "rooms-e2e-hook-token-0123"
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fmt.Fprintf(f, "webhooks:\n  - name: ci\n    token: %s\n    room_id: %s\n", hook, id)
	_ = f.Close()
	p = start(t, cfg)
	tok = p.login("correct horse battery")
	if resp, body := p.send("POST", "/hooks/"+hook, map[string]string{"text": "build 42 passed", "username": "jenkins"}); resp.StatusCode != 200 {
		t.Fatalf("webhook post: %d %v", resp.StatusCode, body)
	}
	resp, page := p.call("GET", "/rooms/"+id+"/messages", nil, bearer(tok)...)
	msgs, _ := page["messages"].([]any)
	if resp.StatusCode != 200 || len(msgs) != 2 {
		t.Fatalf("messages after the restart: %d %v", resp.StatusCode, page)
	}
	if m := msgs[0].(map[string]any); m["text"] != "build 42 passed" || m["username"] != "jenkins" {
		t.Fatalf("the webhook's message: %v", m)
	}
	fileID := file["file"].(map[string]any)["id"].(string)
	if got, body := getRaw(t, p, tok, "/rooms/"+id+"/files/"+fileID+"/blob"); got.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("the attachment after the restart: %d, %d bytes", got.StatusCode, len(body))
	}
	// No vault references the attachment's two blocks: the restarted daemon pins them against
	// the collector's sweep.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.output(), `"msg":"rooms: attachment blocks pinned","blocks":2`); {
		if time.Now().After(deadline) {
			t.Fatalf("the attachment's blocks were not pinned at start:\n%s", p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
