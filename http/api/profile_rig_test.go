package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/contacts"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/actors/profile"
	"github.com/meshhold/meshhold/actors/settings"
	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/keyring"
)

// profPeer is the rig node's peer id; profOther and profThird are valid peer ids of others.
const (
	profPeer  = "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"
	profOther = "12D3KooWHHzSeKaY8xuZVzkLbKFfvNgPPeKhFBGrMbNzbm5akpqu"
	profThird = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"
)

// profAskLimit bounds every ask of the rig's routes.
const profAskLimit = 10 * time.Second

// profRig is a real node over bbolt in a temp folder with the profile, contacts and settings
// kinds registered as the daemon registers them, the theme's routes behind the real router,
// a real keyring, and a subscriber recording every published event.
type profRig struct {
	t      *testing.T
	store  *boltdb.Store
	keys   *keyring.Keyring
	routes *api.Profile
	h      http.Handler
	mu     sync.Mutex
	events []string // "<type> <envelope json>"
}

func newProfRig(t *testing.T) *profRig {
	t.Helper()
	dir := t.TempDir()
	store, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &profRig{t: t, store: store}
	if r.keys, err = keyring.Open(keyring.Config{Enabled: true, Provider: keyring.ProviderFile, KeyFile: filepath.Join(dir, "master.key")}, store); err != nil {
		t.Fatal(err)
	}
	// What the daemon's import of config.yaml writes before the actors start.
	info, _ := proto.Marshal(&storev1.NodeInfo{Name: "alpha"})
	if err := store.Commit([]persist.Write{{Bucket: persist.Meta, Key: profile.InfoKey, Value: info}}); err != nil {
		t.Fatal(err)
	}
	b := membus.New()
	if _, err := b.Subscribe(bus.AllEvents, r.record); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := node.Start(node.Deps{Store: store, Bus: b, NodeID: profPeer, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	r.routes = &api.Profile{Actors: api.Actors{Root: n.Root, Limit: profAskLimit}, Sealer: r.keys}
	if r.routes.Profile, err = n.Register(messages.ProfileKind, profile.Load(profPeer)); err != nil {
		t.Fatal(err)
	}
	if r.routes.Contacts, err = n.Register(messages.ContactsKind, contacts.Load); err != nil {
		t.Fatal(err)
	}
	if r.routes.Settings, err = n.Register(messages.SettingsKind, settings.Load); err != nil {
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

func (r *profRig) record(m bus.Msg) {
	var ev struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(m.Data, &ev)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev.Type+" "+string(m.Data))
}

// published returns the events published so far.
func (r *profRig) published() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// do sends body (JSON text; "" for none) with the good bearer and returns the status and the
// decoded JSON answer.
func (r *profRig) do(method, path, body string) (int, map[string]any) {
	r.t.Helper()
	return profDo(r.t, r.h, method, path, body, "Bearer "+apitest.GoodToken)
}

func profDo(t *testing.T, h http.Handler, method, path, body, authorization string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, api.Prefix+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: %d, body is not a JSON object: %q", method, path, rec.Code, rec.Body)
		}
	}
	return rec.Code, out
}

// profJSON marshals v, for request bodies.
func profJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// profRecord reads a raw record from the rig's store.
func (r *profRig) profRecord(b persist.Bucket, key string) []byte {
	var raw []byte
	_ = persist.ReadWith(r.store, func(v persist.View) error {
		raw, _ = v.Get(b, key)
		return nil
	})
	return bytes.Clone(raw)
}
