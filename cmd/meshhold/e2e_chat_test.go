package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/libp2p/go-libp2p/core/crypto"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/meshhold/meshhold/actors/room"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/mesh"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// texts lists the texts of room id's history at n, oldest first, every page.
func (n *meshNode) texts(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	before := ""
	for {
		resp, page := n.call("GET", "/rooms/"+id+"/messages?limit=500&before="+url.QueryEscape(before), nil, n.tok...)
		if resp.StatusCode != 200 {
			t.Fatalf("%s messages: %d %v", n.name, resp.StatusCode, page)
		}
		for _, m := range page["messages"].([]any) {
			text, _ := m.(map[string]any)["text"].(string)
			out = append(out, text)
		}
		next, _ := page["next"].(string)
		if next == "" {
			break
		}
		before = next
	}
	slices.Reverse(out)
	return out
}

// Three member daemons and a relay carry one room: a message posted at alpha reaches bravo's
// event stream and room WebSocket, and bravo's read receipt reaches alpha; charlie, offline during ten messages, catches all ten up in
// order from the relay alone once alpha and bravo are gone; forged envelopes gossiped by an
// outside host of the swarm (a bad signature, a body that does not open) are rejected while a
// genuine one from the same host lands; Slack, Mattermost and Discord webhook bodies land as
// messages.
func TestChatAcrossDaemons(t *testing.T) {
	if testing.Short() {
		t.Skip("starts daemons")
	}
	key := keygen(t)
	a := startFirstMeshNode(t, "alpha", key)
	b := startMeshNode(t, "bravo", key, a.addr(t))
	c := startMeshNode(t, "charlie", key, a.addr(t))
	r := startMeshNode(t, "relay", key, a.addr(t))
	eventually(t, 20*time.Second, "everyone sees everyone", func() (bool, string) {
		for _, n := range []*meshNode{a, b, c, r} {
			if len(n.online()) < 4 {
				return false, fmt.Sprint(n.name, n.online())
			}
		}
		return true, ""
	})

	var chatKey messages.ChatKey
	_, _ = rand.Read(chatKey[:])
	resp, made := a.send("POST", "/rooms", map[string]any{"name": "Team", "members": []string{a.id, b.id, c.id}, "chat_key": hex.EncodeToString(chatKey[:])}, a.tok...)
	if resp.StatusCode != 201 {
		t.Fatalf("create room: %d %v", resp.StatusCode, made)
	}
	id := made["room_id"].(string)
	_, share := a.call("GET", "/rooms/"+id+"/share-url", nil, a.tok...)
	for _, n := range []*meshNode{b, c} {
		if resp, v := n.send("POST", "/rooms/join", map[string]any{"share_url": share["url"]}, n.tok...); resp.StatusCode != 201 {
			t.Fatalf("%s join: %d %v", n.name, resp.StatusCode, v)
		}
	}
	if resp, v := r.send("POST", "/relay/rooms", map[string]any{"room_id": id}, r.tok...); resp.StatusCode/100 != 2 {
		t.Fatalf("relay the room: %d %v", resp.StatusCode, v)
	}

	// Alpha posts; bravo's event stream and room WebSocket see it.
	events := followEvents(t, b)
	ws, wresp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(b.api, "http")+"/rooms/"+id+"/stream?token="+url.QueryEscape(strings.TrimPrefix(b.tok[1], "Bearer ")), nil)
	if err != nil {
		t.Fatalf("bravo's room WebSocket: %v %v", err, wresp)
	}
	defer ws.Close()
	if resp, m := a.send("POST", "/rooms/"+id+"/messages", map[string]string{"text": "hello from alpha"}, a.tok...); resp.StatusCode != 201 {
		t.Fatalf("post: %d %v", resp.StatusCode, m)
	}
	eventually(t, 20*time.Second, "bravo's event stream has alpha's chat_message", func() (bool, string) {
		return events.has("chat_message", `"room_id":"`+id+`"`) && events.has("chat_message", `"is_self":false`), events.String()
	})
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		_, frame, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("bravo's WebSocket: %v", err)
		}
		if strings.Contains(string(frame), `"text":"hello from alpha"`) {
			break
		}
	}

	// Bravo reads it: its signed receipt reaches alpha (GET /rooms read_by, a chat_read event).
	alphaEvents := followEvents(t, a)
	if resp, st := b.send("POST", "/rooms/"+id+"/read", map[string]any{"ts_ms": time.Now().UnixMilli()}, b.tok...); resp.StatusCode != 200 {
		t.Fatalf("bravo reads: %d %v", resp.StatusCode, st)
	}
	eventually(t, 20*time.Second, "alpha learns bravo's read receipt", func() (bool, string) {
		_, list := a.call("GET", "/rooms", nil, a.tok...)
		rooms, _ := list["rooms"].([]any)
		if len(rooms) != 1 {
			return false, fmt.Sprint(list)
		}
		readBy, _ := rooms[0].(map[string]any)["read_by"].(map[string]any)
		return readBy[b.id] != nil && alphaEvents.has("chat_read", `"reader_node_id":"`+b.id+`"`), fmt.Sprint(readBy, alphaEvents)
	})

	// Charlie is offline for ten messages.
	c.stop()
	want := []string{"hello from alpha"}
	for i := range 10 {
		text := fmt.Sprintf("while charlie was away %d", i)
		want = append(want, text)
		if resp, m := a.send("POST", "/rooms/"+id+"/messages", map[string]string{"text": text}, a.tok...); resp.StatusCode != 201 {
			t.Fatalf("post %d: %d %v", i, resp.StatusCode, m)
		}
	}
	eventually(t, 30*time.Second, "bravo and the relay hold all eleven", func() (bool, string) {
		_, st := r.call("GET", "/relay/rooms/"+id+"/stats", nil, r.tok...)
		got := b.texts(t, id)
		return slices.Equal(got, want) && st["message_count"] == 11.0, fmt.Sprint(got, st)
	})
	// Only the relay is left for charlie to catch up from.
	a.stop()
	b.stop()
	src, err := os.ReadFile(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.cfg, []byte(strings.Replace(string(src), "bootstrap_peers: [", "bootstrap_peers: ["+r.addr(t)+", ", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	c.restart(t, false)
	eventually(t, 40*time.Second, "charlie caught up from the relay, in order", func() (bool, string) {
		got := c.texts(t, id)
		return slices.Equal(got, want), fmt.Sprint(got, c.online())
	})

	// An outside host of the swarm gossips forgeries, then a genuine message.
	psk, err := swarmkey.Parse(key)
	if err != nil {
		t.Fatal(err)
	}
	priv, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	out, err := mesh.Start(mesh.Config{PrivKey: priv, PSK: psk.Bytes(), ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := out.Dial(ctx, c.addr(t)+"/p2p/"+c.id); err != nil {
		t.Fatalf("outsider dials charlie: %v", err)
	}
	topic, err := out.Join("meshhold/chat/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer topic.Close()
	time.Sleep(2 * time.Second) // the subscriptions reach each other
	forge := func(text string) messages.ChatEnvelope {
		env := messages.ChatEnvelope{RoomID: id, Sender: string(out.Self()), Seq: 1, TsMs: time.Now().UnixMilli()}
		_, _ = rand.Read(env.Nonce[:])
		body, _ := json.Marshal(messages.ChatBody{Type: messages.ChatTypeText, Text: text})
		aead, _ := chacha20poly1305.NewX(chatKey[:])
		env.Body = aead.Seal(nil, env.Nonce[:], body, env.Header())
		env.Sig = room.Signer(priv)(env.Signed())
		return env
	}
	badSig := forge("forged: bad signature")
	badSig.Sig[0] ^= 1
	badBody := forge("forged: tampered body")
	badBody.Body[0] ^= 1
	badBody.Sig = room.Signer(priv)(badBody.Signed()) // signed after the change: only the seal fails
	for _, env := range []messages.ChatEnvelope{badSig, badBody, forge("genuine from outside")} {
		if err := topic.Publish(ctx, env.Marshal()); err != nil {
			t.Fatal(err)
		}
	}
	wantAll := append(slices.Clone(want), "genuine from outside")
	eventually(t, 20*time.Second, "charlie keeps the genuine one and neither forgery", func() (bool, string) {
		got := c.texts(t, id)
		return slices.Equal(got, wantAll), fmt.Sprint(got)
	})

	// Webhook bodies of three services land as messages (charlie's config gains a token).
	c.stop()
	const hook = "chat-e2e-hook-token-4f1c2a"
	src, _ = os.ReadFile(c.cfg)
	if err := os.WriteFile(c.cfg, append(src, []byte(fmt.Sprintf("webhooks:\n  - name: ci\n    token: %s\n    room_id: %s\n", hook, id))...), 0o600); err != nil {
		t.Fatal(err)
	}
	c.restart(t, false)
	for _, body := range []map[string]string{
		{"text": "from slack"},
		{"text": "from mattermost", "username": "mm-bot"},
		{"content": "from discord", "username": "dc-bot"},
	} {
		if resp, v := c.send("POST", "/hooks/"+hook, body); resp.StatusCode != 200 {
			t.Fatalf("webhook %v: %d %v", body, resp.StatusCode, v)
		}
	}
	got := c.texts(t, id)
	if !slices.Equal(got[len(got)-3:], []string{"from slack", "from mattermost", "from discord"}) {
		t.Fatalf("webhook messages: %v", got)
	}
}
