package api_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/meshhold/meshhold/actors/contacts"
	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/network"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/http/openapi"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/joinurl"
	"github.com/meshhold/meshhold/p2p/keyrotate"
	"github.com/meshhold/meshhold/p2p/swarmkey"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/keyring"
)

// Peers of the networks rig: the rig node itself, and two others.
const (
	netSelf  = profPeer
	netBob   = profOther
	netCarol = "12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq"
	netAddrB = "/ip4/192.0.2.8/tcp/7777/p2p/" + profOther
	netAddrC = "/ip4/192.0.2.9/tcp/7777/p2p/" + netCarol
	netAddrS = "/ip4/192.0.2.7/tcp/7777/p2p/" + profPeer
)

func TestNetworksRouteTable(t *testing.T) {
	apitest.CheckRoutes(t, (&api.Networks{}).Routes(), tables...)
	doc, err := openapi.Document((&api.Networks{}).Routes(), "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"/networks/{id}/swarm-key"`, `"RotateReply"`, `"text/plain"`, `"/networks/rotations/{id}/accept"`} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("the OpenAPI document lacks %s", want)
		}
	}
}

// fakeMesh is a MeshControl that records what it was asked.
type fakeMesh struct {
	mu          sync.Mutex
	state       api.MeshState
	connects    []string // "<network id> <key fingerprint>"
	disconnects int
	pushes      []string // "<network id> <key fingerprint>"
	pushed      []string
	failed      map[string]string
	connectErr  error
}

func (f *fakeMesh) Connect(_ context.Context, n messages.Network, key swarmkey.Key) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.connects = append(f.connects, n.ID+" "+key.Fingerprint())
	if f.connectErr != nil {
		return f.connectErr
	}
	f.state = api.MeshState{State: api.MeshConnected, NetworkID: n.ID, PeerID: netSelf, ListenAddrs: []string{netAddrS, "/ip4/0.0.0.0/tcp/7777/p2p/" + netSelf}, Peers: 2}
	return nil
}

func (f *fakeMesh) Disconnect(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disconnects++
	f.state = api.MeshState{State: api.MeshOffline, PeerID: netSelf}
	return nil
}

func (f *fakeMesh) State() api.MeshState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}

func (f *fakeMesh) PushSwarmKey(_ context.Context, networkID string, key swarmkey.Key) ([]string, map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pushes = append(f.pushes, networkID+" "+key.Fingerprint())
	return f.pushed, maps.Clone(f.failed)
}

// netRig is a real node over bbolt with the networks and contacts kinds registered, a real
// keyring, the networks routes behind the real router, and a fake mesh.
type netRig struct {
	t      *testing.T
	store  *boltdb.Store
	mesh   *fakeMesh
	nets   *api.Networks
	h      http.Handler
	mu     sync.Mutex
	events []string
	minted []swarmkey.Key
}

func newNetRig(t *testing.T) *netRig {
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
	r := &netRig{t: t, store: store, mesh: &fakeMesh{state: api.MeshState{State: api.MeshOffline, PeerID: netSelf}}}
	b := membus.New()
	if _, err := b.Subscribe(bus.AllEvents, func(m bus.Msg) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.events = append(r.events, string(m.Data))
	}); err != nil {
		t.Fatal(err)
	}
	n, err := node.Start(node.Deps{Store: store, Bus: b, NodeID: netSelf, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r.nets = &api.Networks{Actors: api.Actors{Root: n.Root, Limit: profAskLimit}, Mesh: r.mesh, Sealer: keys, Mint: r.mint}
	if r.nets.Mgr, err = n.Register(messages.NetworkKind, network.Load); err != nil {
		t.Fatal(err)
	}
	if r.nets.Contacts, err = n.Register(messages.ContactsKind, contacts.Load); err != nil {
		t.Fatal(err)
	}
	r.h = api.NewRouter(r.nets.Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	t.Cleanup(func() {
		if err := n.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		_ = store.Close()
	})
	return r
}

// mint hands out keys 101, 102 … and remembers them.
func (r *netRig) mint() (swarmkey.Key, error) {
	k := netKey(byte(101 + len(r.minted)))
	r.minted = append(r.minted, k)
	return k, nil
}

func netKey(b byte) swarmkey.Key {
	k, _ := swarmkey.FromBytes(bytes.Repeat([]byte{b}, swarmkey.Size))
	return k
}

// do sends body with the good bearer and returns the status and the JSON answer.
func (r *netRig) do(method, path, body string) (int, map[string]any) {
	r.t.Helper()
	return profDo(r.t, r.h, method, path, body, "Bearer "+apitest.GoodToken)
}

// want sends a request and fails the test unless it answers status; it returns the answer.
func (r *netRig) want(status int, method, path, body string) map[string]any {
	r.t.Helper()
	got, out := r.do(method, path, body)
	if got != status {
		r.t.Fatalf("%s %s: %d %v, want %d", method, path, got, out, status)
	}
	return out
}

// wantError checks a request fails with status and an error containing every part.
func (r *netRig) wantError(status int, method, path, body string, parts ...string) {
	r.t.Helper()
	out := r.want(status, method, path, body)
	msg, _ := out["error"].(string)
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			r.t.Fatalf("%s %s: error %q does not say %q", method, path, msg, p)
		}
	}
}

func (r *netRig) published() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.events, "\n")
}

func joinURL(name string, k swarmkey.Key, peers ...string) string {
	return joinurl.Join{Name: name, Key: k, Peers: peers}.URL()
}

func TestNetworksAddCreateListDelete(t *testing.T) {
	r := newNetRig(t)
	list := r.want(http.StatusOK, http.MethodGet, "/networks", "")
	if n, _ := list["networks"].([]any); len(n) != 0 || list["active"] != nil || list["state"] != "offline" {
		t.Fatalf("empty: %v", list)
	}
	friends := netKey(1)
	added := r.want(http.StatusCreated, http.MethodPost, "/networks", profJSON(map[string]string{"join_url": joinURL("Friends", friends, netAddrB)}))
	if added["id"] != friends.Fingerprint() || added["fingerprint"] != friends.Fingerprint() || added["name"] != "Friends" || added["source"] != "join" || added["active"] != false {
		t.Fatalf("added: %v", added)
	}
	if bs, _ := added["bootstrap"].([]any); len(bs) != 1 || bs[0] != netAddrB {
		t.Fatalf("bootstrap: %v", added["bootstrap"])
	}
	r.wantError(http.StatusConflict, http.MethodPost, "/networks", profJSON(map[string]string{"join_url": joinURL("", friends)}),
		"already saved as network "+friends.Fingerprint(), `"Friends"`)
	created := r.want(http.StatusCreated, http.MethodPost, "/networks/create", `{"name":"Lab"}`)
	if created["id"] != r.minted[0].Fingerprint() || created["source"] != "create" {
		t.Fatalf("created: %v", created)
	}
	list = r.want(http.StatusOK, http.MethodGet, "/networks", "")
	var names []string
	for _, n := range list["networks"].([]any) {
		names = append(names, n.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "Friends,Lab" {
		t.Fatalf("list: %v", names)
	}
	r.want(http.StatusNoContent, http.MethodDelete, "/networks/"+friends.Fingerprint(), "")
	r.wantError(http.StatusNotFound, http.MethodDelete, "/networks/"+friends.Fingerprint(), "", "network not found")
	events := r.published()
	for _, want := range []string{`"type":"network_added"`, `"type":"network_removed"`} {
		if !strings.Contains(events, want) {
			t.Errorf("no %s event in\n%s", want, events)
		}
	}
	r.noKeyIn(events, friends, r.minted[0])
}

// noKeyIn fails when s shows any of keys.
func (r *netRig) noKeyIn(s string, keys ...swarmkey.Key) {
	r.t.Helper()
	for _, k := range keys {
		if strings.Contains(s, hex.EncodeToString(k.Bytes())) {
			r.t.Fatalf("a swarm key shows in %s", s)
		}
	}
}

func TestNetworksRefuseMalformedInput(t *testing.T) {
	r := newNetRig(t)
	k := netKey(1)
	for _, tc := range []struct {
		method, path, body string
		parts              []string
	}{
		{http.MethodPost, "/networks", `{}`, []string{"join_url: is required"}},
		{http.MethodPost, "/networks", `{"join_url":"https://example.com/join"}`, []string{"join_url: invalid share URL", `scheme is "https"`}},
		{http.MethodPost, "/networks", `{"join_url":"meshhold://join/v1?name=x"}`, []string{"join_url: invalid share URL: missing psk"}},
		{http.MethodPost, "/networks", `{"join_url":"meshhold://join/v2?psk=00"}`, []string{`unsupported version "v2"`}},
		{http.MethodPost, "/networks", profJSON(map[string]string{"join_url": strings.Replace(joinURL("", k, netAddrB), "/p2p/", "/p2q/", 1)}), []string{"join_url:", "peer[0]", "not a multiaddr"}},
		{http.MethodPost, "/networks", `{"join_url":"x","extra":1}`, []string{"extra"}},
		{http.MethodPost, "/networks/create", profJSON(map[string]string{"name": strings.Repeat("n", 201)}), []string{"name: is 201 bytes, at most 200"}},
	} {
		r.wantError(http.StatusBadRequest, tc.method, tc.path, tc.body, tc.parts...)
	}
	id := r.want(http.StatusCreated, http.MethodPost, "/networks/create", `{"name":"Lab"}`)["id"].(string)
	for _, tc := range []struct {
		method, path, body string
		parts              []string
	}{
		{http.MethodPut, "/networks/" + id + "/bootstrap", `{"addrs":["/ip4/1.2.3.4/tcp/1"]}`, []string{"addrs: [0]", "does not end in /p2p/<peer id>"}},
		{http.MethodPut, "/networks/" + id + "/bootstrap", `{"addrs":["nonsense"]}`, []string{"addrs: [0]", "not a multiaddr"}},
		{http.MethodPut, "/networks/" + id + "/bootstrap", `{"addrs":["/ip4/0.0.0.0/tcp/1/p2p/` + netBob + `"]}`, []string{"unspecified address"}},
		{http.MethodPut, "/networks/" + id + "/bootstrap", `{}`, []string{"addrs: is required"}},
		{http.MethodPost, "/networks/" + id + "/peers", `{}`, []string{"url: give a share URL"}},
		{http.MethodPost, "/networks/" + id + "/peers", profJSON(map[string]string{"url": joinURL("Other", netKey(9), netAddrB)}), []string{"is a join URL of network " + netKey(9).Fingerprint()}},
		{http.MethodPut, "/networks/" + id + "/bootstrap-invite", `{"url":"meshhold://node/v1"}`, []string{"url: invalid share URL: missing id"}},
		{http.MethodPost, "/networks/" + id + "/swarm-key", `{"key":"/key/swarm/psk/1.0.0/\n/base16/\nabc"}`, []string{"key: swarmkey: invalid swarm key"}},
	} {
		r.wantError(http.StatusBadRequest, tc.method, tc.path, tc.body, tc.parts...)
	}
	unknown := netKey(42).Fingerprint()
	for _, rt := range []struct{ method, path, body string }{
		{http.MethodDelete, "/networks/" + unknown, ""},
		{http.MethodPost, "/networks/" + unknown + "/connect", ""},
		{http.MethodGet, "/networks/" + unknown + "/invite", ""},
		{http.MethodGet, "/networks/" + unknown + "/key", ""},
		{http.MethodPost, "/networks/" + unknown + "/peers", `{"addrs":["` + netAddrB + `"]}`},
		{http.MethodPut, "/networks/" + unknown + "/bootstrap", `{"addrs":[]}`},
		{http.MethodPut, "/networks/" + unknown + "/bootstrap-invite", profJSON(map[string]string{"url": joinURL("", netKey(42))})},
		{http.MethodPost, "/networks/" + unknown + "/swarm-key", ""},
		{http.MethodPost, "/networks/rotations/" + unknown + "/accept", ""},
		{http.MethodPost, "/networks/rotations/" + unknown + "/refuse", ""},
	} {
		r.wantError(http.StatusNotFound, rt.method, rt.path, rt.body, "not found")
	}
}

func TestNetworksConnectDisconnectAndTheActiveOne(t *testing.T) {
	r := newNetRig(t)
	k := netKey(1)
	id := r.want(http.StatusCreated, http.MethodPost, "/networks", profJSON(map[string]string{"join_url": joinURL("Home", k, netAddrB)}))["id"].(string)
	other := r.want(http.StatusCreated, http.MethodPost, "/networks/create", `{"name":"Lab"}`)["id"].(string)
	got := r.want(http.StatusOK, http.MethodPost, "/networks/"+id+"/connect", "")
	if net := got["network"].(map[string]any); net["id"] != id || net["active"] != true || got["mesh"].(map[string]any)["state"] != "connected" {
		t.Fatalf("connect: %v", got)
	}
	if want := []string{id + " " + k.Fingerprint()}; !slices.Equal(r.mesh.connects, want) {
		t.Fatalf("the mesh was started with %v, want %v: the key must open to the network's", r.mesh.connects, want)
	}
	list := r.want(http.StatusOK, http.MethodGet, "/networks", "")
	if list["active"] != id || list["state"] != "connected" {
		t.Fatalf("list: %v", list)
	}
	r.wantError(http.StatusConflict, http.MethodDelete, "/networks/"+id, "", "active and connected", "disconnect", "switch to another network first")
	r.want(http.StatusNoContent, http.MethodDelete, "/networks/"+other, "") // not the active one
	got = r.want(http.StatusOK, http.MethodPost, "/networks/disconnect", "")
	if got["mesh"].(map[string]any)["state"] != "offline" || got["network"] != nil || r.mesh.disconnects != 1 {
		t.Fatalf("disconnect: %v", got)
	}
	if list := r.want(http.StatusOK, http.MethodGet, "/networks", ""); list["active"] != nil || list["state"] != "offline" {
		t.Fatalf("after disconnect: %v", list)
	}
	r.want(http.StatusNoContent, http.MethodDelete, "/networks/"+id, "")
	r.mesh.connectErr = errors.New("listen tcp 0.0.0.0:7777: bind: address already in use")
	id2 := r.want(http.StatusCreated, http.MethodPost, "/networks/create", `{"name":"Again"}`)["id"].(string)
	r.wantError(http.StatusServiceUnavailable, http.MethodPost, "/networks/"+id2+"/connect", "", "could not start the mesh on network "+id2, "address already in use")
}

func TestNetworksInviteKeyAndPeers(t *testing.T) {
	r := newNetRig(t)
	k := netKey(1)
	id := r.want(http.StatusCreated, http.MethodPost, "/networks", profJSON(map[string]string{"join_url": joinURL("Home", k, netAddrB)}))["id"].(string)
	inv := r.want(http.StatusOK, http.MethodGet, "/networks/"+id+"/invite", "")
	j, err := joinurl.ParseJoin(inv["url"].(string))
	if err != nil || !j.Key.Equal(k) || j.Name != "Home" || !slices.Equal(j.Peers, []string{netAddrB}) {
		t.Fatalf("offline invite %v: %+v %v", inv, j, err)
	}
	r.want(http.StatusOK, http.MethodPost, "/networks/"+id+"/connect", "")
	inv = r.want(http.StatusOK, http.MethodGet, "/networks/"+id+"/invite", "")
	if j, err = joinurl.ParseJoin(inv["url"].(string)); err != nil || !slices.Equal(j.Peers, []string{netAddrS, netAddrB}) {
		t.Fatalf("connected invite: this node's dialable address first, then the bootstrap list: %+v %v", j.Peers, err)
	}

	req := httptest.NewRequest(http.MethodGet, api.Prefix+"/networks/"+id+"/key", nil)
	req.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	if got, err := swarmkey.Parse(rec.Body.String()); rec.Code != http.StatusOK || err != nil || !got.Equal(k) ||
		!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("key: %d %v %v %q", rec.Code, rec.Header(), err, rec.Body)
	}

	node := joinurl.Node{ID: netCarol, Addrs: []string{netAddrC}}.URL()
	got := r.want(http.StatusOK, http.MethodPost, "/networks/"+id+"/peers", profJSON(map[string]any{"url": node, "addrs": []string{netAddrB}}))
	if got["added"] != 1.0 {
		t.Fatalf("peers: %v", got)
	}
	if bs := got["network"].(map[string]any)["bootstrap"].([]any); len(bs) != 2 || bs[0] != netAddrB || bs[1] != netAddrC {
		t.Fatalf("bootstrap after peers: %v", bs)
	}
	got = r.want(http.StatusOK, http.MethodPut, "/networks/"+id+"/bootstrap", profJSON(map[string]any{"addrs": []string{netAddrC}}))
	if bs := got["bootstrap"].([]any); len(bs) != 1 || bs[0] != netAddrC {
		t.Fatalf("bootstrap: %v", got)
	}
	got = r.want(http.StatusOK, http.MethodPut, "/networks/"+id+"/bootstrap-invite", profJSON(map[string]string{"url": joinURL("", k, netAddrB)}))
	if bs := got["bootstrap"].([]any); len(bs) != 1 || bs[0] != netAddrB {
		t.Fatalf("bootstrap-invite: %v", got)
	}
	r.noKeyIn(r.published(), k)
}

func TestNetworksRotateAndPush(t *testing.T) {
	r := newNetRig(t)
	k := netKey(1)
	id := r.want(http.StatusCreated, http.MethodPost, "/networks", profJSON(map[string]string{"join_url": joinURL("Home", k, netAddrB)}))["id"].(string)
	r.want(http.StatusOK, http.MethodPost, "/networks/"+id+"/connect", "")
	r.mesh.pushed = []string{netBob}
	r.mesh.failed = map[string]string{netCarol: "held: the peer's operator must accept the new key"}
	got := r.want(http.StatusOK, http.MethodPost, "/networks/"+id+"/swarm-key", "")
	newKey := r.minted[0]
	if got["previous_id"] != id || got["network"].(map[string]any)["id"] != newKey.Fingerprint() || got["reconnected"] != true {
		t.Fatalf("rotate: %v", got)
	}
	if p := got["pushed"].([]any); len(p) != 1 || p[0] != netBob {
		t.Fatalf("pushed: %v", got)
	}
	if f := got["failed"].(map[string]any); len(f) != 1 || !strings.HasPrefix(f[netCarol].(string), "held") {
		t.Fatalf("failed: %v", got)
	}
	if want := []string{id + " " + newKey.Fingerprint()}; !slices.Equal(r.mesh.pushes, want) {
		t.Fatalf("pushed %v, want %v: under the network's old id", r.mesh.pushes, want)
	}
	if last := r.mesh.connects[len(r.mesh.connects)-1]; last != newKey.Fingerprint()+" "+newKey.Fingerprint() {
		t.Fatalf("reconnected with %s", last)
	}
	if list := r.want(http.StatusOK, http.MethodGet, "/networks", ""); list["active"] != newKey.Fingerprint() {
		t.Fatalf("the active network did not follow its key: %v", list)
	}
	r.wantError(http.StatusNotFound, http.MethodGet, "/networks/"+id+"/invite", "", "its swarm key was rotated; it is now network "+newKey.Fingerprint())

	// A key given is used as it is; an offline network is rotated without a push.
	lab := r.want(http.StatusCreated, http.MethodPost, "/networks/create", `{"name":"Lab"}`)["id"].(string)
	given := netKey(77)
	got = r.want(http.StatusOK, http.MethodPost, "/networks/"+lab+"/swarm-key", profJSON(map[string]string{"key": given.Text()}))
	if got["network"].(map[string]any)["id"] != given.Fingerprint() || got["reconnected"] != false || len(r.mesh.pushes) != 1 {
		t.Fatalf("offline rotation: %v, pushes %v", got, r.mesh.pushes)
	}
	r.wantError(http.StatusBadRequest, http.MethodPost, "/networks/"+given.Fingerprint()+"/swarm-key", profJSON(map[string]string{"key": given.Text()}), "current swarm key")
	r.wantError(http.StatusConflict, http.MethodPost, "/networks/"+given.Fingerprint()+"/swarm-key", profJSON(map[string]string{"key": newKey.Text()}), "already saved as network "+newKey.Fingerprint())
	if !strings.Contains(r.published(), `"type":"swarm_key_rotated"`) {
		t.Fatal("no swarm_key_rotated event")
	}
	r.noKeyIn(r.published(), k, newKey, given)
}

func TestNetworksPushedRotations(t *testing.T) {
	r := newNetRig(t)
	ctx := context.Background()
	k := netKey(1)
	imp, err := r.nets.ImportDeclared(ctx, "", k, []string{netAddrB})
	if err != nil || !imp.Created || !imp.Activated {
		t.Fatalf("import: %+v %v", imp, err)
	}
	if _, ok, err := r.nets.ConnectActive(ctx); !ok || err != nil || r.mesh.State().NetworkID != k.Fingerprint() {
		t.Fatalf("connect active: %v %v %+v", ok, err, r.mesh.State())
	}
	if _, err := r.nets.ImportDeclared(ctx, "", k, []string{"/ip4/1.2.3.4/tcp/1"}); err == nil || !strings.Contains(err.Error(), "bootstrap_peers") {
		t.Fatalf("a bad declared bootstrap address: %v", err)
	}
	if _, err := host.AskChild[messages.ContactUpserted](ctx, r.nets.Actors.Root, r.nets.Contacts, messages.ContactsID, messages.UpsertContact{NodeID: netBob}, profAskLimit); err != nil {
		t.Fatal(err)
	}
	decide := func(from, networkID string, key swarmkey.Key) string {
		t.Helper()
		status, err := r.nets.DecideRotation(ctx, from, networkID, key)
		if err != nil {
			return status + " " + err.Error()
		}
		return status
	}
	k2, k3, k4 := netKey(2), netKey(3), netKey(4)
	// A contact's key is applied at once; the mesh follows once the pusher has the answer.
	if got := decide(netBob, k.Fingerprint(), k2); got != keyrotate.StatusApplied {
		t.Fatalf("from a contact: %s", got)
	}
	if err := r.nets.FollowRotation(ctx, k2); err != nil || r.mesh.State().NetworkID != k2.Fingerprint() {
		t.Fatalf("follow: %v %+v", err, r.mesh.State())
	}
	n := len(r.mesh.connects)
	if err := r.nets.FollowRotation(ctx, k2); err != nil || len(r.mesh.connects) != n {
		t.Fatalf("following a key the mesh runs on restarted it: %v %v", err, r.mesh.connects)
	}
	// Anyone else's is held; a key this node has is applied; an unknown network is refused.
	for _, tc := range []struct {
		from, network string
		key           swarmkey.Key
		want          string
	}{
		{netCarol, k2.Fingerprint(), k3, keyrotate.StatusHeld},
		{netCarol, k2.Fingerprint(), k3, keyrotate.StatusHeld},
		{netBob, k.Fingerprint(), k2, keyrotate.StatusApplied},
		{netCarol, netKey(50).Fingerprint(), k4, keyrotate.StatusRefused + " this node has no network with that id"},
	} {
		if got := decide(tc.from, tc.network, tc.key); got != tc.want {
			t.Fatalf("%s pushing %s for %s: %q, want %q", tc.from, tc.key.Fingerprint(), tc.network, got, tc.want)
		}
	}
	rots := r.want(http.StatusOK, http.MethodGet, "/networks/rotations", "")["rotations"].([]any)
	if len(rots) != 1 {
		t.Fatalf("rotations: %v", rots)
	}
	rot := rots[0].(map[string]any)
	if rot["id"] != k3.Fingerprint() || rot["network_id"] != k2.Fingerprint() || rot["fingerprint"] != k3.Fingerprint() || rot["from"].([]any)[0] != netCarol {
		t.Fatalf("rotation: %v", rot)
	}
	got := r.want(http.StatusOK, http.MethodPost, "/networks/rotations/"+k3.Fingerprint()+"/accept", "")
	if got["previous_id"] != k2.Fingerprint() || got["network"].(map[string]any)["id"] != k3.Fingerprint() || got["reconnected"] != true || r.mesh.State().NetworkID != k3.Fingerprint() {
		t.Fatalf("accept: %v, mesh %+v", got, r.mesh.State())
	}
	if got := decide(netCarol, k3.Fingerprint(), k4); got != keyrotate.StatusHeld {
		t.Fatalf("hold: %s", got)
	}
	r.want(http.StatusNoContent, http.MethodPost, "/networks/rotations/"+k4.Fingerprint()+"/refuse", "")
	if rots := r.want(http.StatusOK, http.MethodGet, "/networks/rotations", "")["rotations"].([]any); len(rots) != 0 {
		t.Fatalf("after refuse: %v", rots)
	}
	events := r.published()
	for _, want := range []string{"swarm_key_rotated", "swarm_key_rotation_pending", "swarm_key_rotation_refused", "network_activated"} {
		if !strings.Contains(events, `"type":"`+want+`"`) {
			t.Errorf("no %s event", want)
		}
	}
	r.noKeyIn(events, k, k2, k3, k4)
	// The records hold the keys sealed, never in the clear.
	_ = persist.ReadWith(r.store, func(v persist.View) error {
		v.Scan(persist.Networks, "", "", func(key string, val []byte) bool {
			for _, k := range []swarmkey.Key{k, k2, k3, k4} {
				if bytes.Contains(val, k.Bytes()) {
					t.Errorf("record %s holds a swarm key in the clear", key)
				}
			}
			return true
		})
		return nil
	})
}
