package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/actors/room"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/blockstore"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/keyring"
)

// roomsRig is one node: bbolt, a real keyring and block store, the room kinds registered as the
// daemon registers them with a real Ed25519 node key, and the rooms routes behind the real
// router. sent records what the Sent hook saw; joined what Joined saw.
type roomsRig struct {
	t      *testing.T
	id     string
	routes *api.Rooms
	h      http.Handler
	pins   *blockgc.Pins
	mu     sync.Mutex
	sent   []messages.ChatEnvelope
	joined []string // "<room id> <peers>"
}

func newRoomsRig(t *testing.T) *roomsRig {
	t.Helper()
	dir := t.TempDir()
	store, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Open(keyring.Config{Enabled: true, Provider: keyring.ProviderFile, KeyFile: filepath.Join(dir, "master.key")}, store)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := blockstore.Open(filepath.Join(dir, "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	priv, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := peer.IDFromPrivateKey(priv)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := node.Start(node.Deps{Store: store, Bus: membus.New(), NodeID: pid.String(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	r := &roomsRig{t: t, id: pid.String(), pins: blockgc.NewPins()}
	r.routes = &api.Rooms{Actors: api.Actors{Root: n.Root, Limit: profAskLimit}, Sealer: keys, NodeID: pid.String(),
		Files: &api.FileDeps{Blocks: blocks, Pins: r.pins}, MaxFile: 3 << 20,
		Sent: func(s messages.ChatSent) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.sent = append(r.sent, s.Envelope)
		},
		Joined: func(m messages.RoomMeta, peers []string) {
			r.mu.Lock()
			defer r.mu.Unlock()
			b, _ := json.Marshal(peers)
			r.joined = append(r.joined, m.ID+" "+string(b))
		},
		Peers: func() []string { return []string{"/ip4/192.0.2.9/tcp/7777/p2p/" + pid.String()} },
	}
	if r.routes.Registry, err = n.Register(messages.RoomsKind, room.LoadRegistry); err != nil {
		t.Fatal(err)
	}
	if r.routes.Room, err = n.Register(messages.RoomKind, room.Load(room.Deps{Unseal: keys.Open, NodeID: pid.String(),
		Sign: room.Signer(priv), Verify: room.VerifyPeerSig})); err != nil {
		t.Fatal(err)
	}
	r.h = api.NewRouter(r.routes.Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	t.Cleanup(func() {
		if err := n.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		_ = store.Close()
	})
	return r
}

func (r *roomsRig) do(method, path, body string) (int, map[string]any) {
	r.t.Helper()
	return profDo(r.t, r.h, method, path, body, "Bearer "+apitest.GoodToken)
}

// raw answers a request with its full response.
func (r *roomsRig) raw(req *http.Request) *httptest.ResponseRecorder {
	req.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	return rec
}

// upload posts a multipart attachment (and a caption when text is not empty).
func (r *roomsRig) upload(roomID, name string, data []byte, text string) *httptest.ResponseRecorder {
	r.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if text != "" {
		_ = mw.WriteField("text", text)
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	req := httptest.NewRequest("POST", api.Prefix+"/rooms/"+roomID+"/messages/file", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return r.raw(req)
}

// receive hands envelopes to a room as gossip would.
func (r *roomsRig) receive(roomID string, envs ...messages.ChatEnvelope) messages.ChatReceived {
	r.t.Helper()
	got, err := host.AskChild[messages.ChatReceived](context.Background(), r.routes.Actors.Root, r.routes.Room, roomID,
		messages.ReceiveEnvelopes{From: "test", Envelopes: envs}, profAskLimit)
	if err != nil {
		r.t.Fatal(err)
	}
	return got
}

// lastSent is the envelope of the newest message this node wrote.
func (r *roomsRig) lastSent() messages.ChatEnvelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sent) == 0 {
		r.t.Fatal("Sent was never called")
	}
	return r.sent[len(r.sent)-1]
}
