package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/actors/nodes"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/http/openapi"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// testPeer derives a valid peer id from seed.
func nodesTestPeer(t *testing.T, seed byte) string {
	t.Helper()
	priv, err := crypto.UnmarshalEd25519PrivateKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// nodesFakeMesh answers speed tests with result or err, counting them.
type nodesFakeMesh struct {
	mu        sync.Mutex
	connected bool
	result    messages.SpeedResult
	err       error
	runs      int
}

func (m *nodesFakeMesh) Connected() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.connected
}

func (m *nodesFakeMesh) Speedtest(_ context.Context, peer string) (messages.SpeedResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runs++
	res := m.result
	res.PeerID = peer
	return res, m.err
}

// nodesRig is a real node over bbolt with the directory registered, fed through nodes.Sink as
// p2p/hello would, behind the real router.
type nodesRig struct {
	t          *testing.T
	self, b, c string
	sink       nodes.Sink
	mesh       *nodesFakeMesh
	routes     *api.Nodes
	h          http.Handler
}

func newNodesRig(t *testing.T) *nodesRig {
	t.Helper()
	store, err := boltdb.Open(filepath.Join(t.TempDir(), boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &nodesRig{t: t, self: nodesTestPeer(t, 1), b: nodesTestPeer(t, 2), c: nodesTestPeer(t, 3), mesh: &nodesFakeMesh{}}
	n, err := node.Start(node.Deps{Store: store, NodeID: r.self, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := n.Register(messages.NodesKind, nodes.Load(nodes.Config{Self: r.self}))
	if err != nil {
		t.Fatal(err)
	}
	r.sink = nodes.Sink{Root: n.Root, Mgr: mgr}
	r.routes = &api.Nodes{Actors: api.Actors{Root: n.Root, Limit: profAskLimit}, Mgr: mgr, Mesh: r.mesh,
		Traffic: func() messages.Throughput {
			return messages.Throughput{BucketS: 10, Buckets: []messages.ThroughputBucket{{AtMs: 1, InBytes: 5}}}
		},
		NAT: func(context.Context) messages.NATStatus {
			return messages.NATStatus{Message: "no gateway found", Mappings: []messages.NATMapping{}}
		}}
	r.h = api.NewRouter(r.routes.Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	t.Cleanup(func() {
		if err := n.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		_ = store.Close()
	})
	// What the hello service reports at start: this node's info. The ask starts the actor, so
	// the sends after it reach it directly, in order.
	if code, _ := r.do("GET", "/nodes/self", ""); code != 200 {
		t.Fatalf("GET /nodes/self: %d", code)
	}
	r.sink.Announced(messages.NodeInfo{NodeID: r.self, DisplayName: "alpha", Version: "test",
		Peers: []messages.PeerLink{{NodeID: r.b, RTTMs: 1.5}}})
	return r
}

func (r *nodesRig) do(method, path, body string) (int, map[string]any) {
	r.t.Helper()
	return profDo(r.t, r.h, method, path, body, "Bearer "+apitest.GoodToken)
}

// meet connects b and has it introduce itself and c, as a hello exchange would.
func (r *nodesRig) meet() {
	r.sink.Connected(p2p.PeerID(r.b))
	r.sink.Seen(messages.NodeInfo{NodeID: r.b, DisplayName: "bob", Version: "test", Vaults: []string{"v1"}}, messages.ViaHello)
	r.sink.Seen(messages.NodeInfo{NodeID: r.c, DisplayName: "carol"}, messages.ViaRelay)
}

func TestNodesRoutesDocumented(t *testing.T) {
	routes := (&api.Nodes{}).Routes()
	apitest.CheckRoutes(t, routes, tables...)
	doc, err := openapi.Document(routes, "test")
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := openapi3.NewLoader().LoadFromData(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Validate(context.Background()); err != nil {
		t.Fatalf("the document does not validate: %v", err)
	}
	for _, want := range []string{`"NodeView"`, `"Topology"`, `"SpeedResult"`, `"NATStatus"`, `"last_seen_at_ms"`} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("the OpenAPI document lacks %s", want)
		}
	}
}

func TestNodesDirectory(t *testing.T) {
	r := newNodesRig(t)
	code, body := r.do("GET", "/nodes", "")
	if list := body["nodes"].([]any); code != 200 || len(list) != 1 || list[0].(map[string]any)["display_name"] != "alpha" || list[0].(map[string]any)["self"] != true {
		t.Fatalf("GET /nodes alone: %d %v", code, body)
	}
	r.meet()
	code, body = r.do("GET", "/nodes", "")
	list := body["nodes"].([]any)
	if code != 200 || len(list) != 3 {
		t.Fatalf("GET /nodes: %d %v", code, body)
	}
	var got []string
	for _, n := range list {
		n := n.(map[string]any)
		got = append(got, fmt.Sprintf("%s online=%v connected=%v", n["display_name"], n["online"], n["connected"]))
	}
	if want := "alpha online=true connected=false,bob online=true connected=true,carol online=false connected=false"; strings.Join(got, ",") != want {
		t.Fatalf("nodes %s, want %s", strings.Join(got, ","), want)
	}
	code, b := r.do("GET", "/nodes/"+r.b, "")
	if code != 200 || b["node_id"] != r.b || b["via"] != "hello" || len(b["vaults"].([]any)) != 1 || b["caps"] == nil {
		t.Fatalf("GET /nodes/b: %d %v", code, b)
	}
	if code, self := r.do("GET", "/nodes/"+r.self, ""); code != 200 || self["self"] != true {
		t.Fatalf("GET /nodes/<self>: %d %v", code, self)
	}
	if code, body := r.do("GET", "/nodes/"+nodesTestPeer(t, 9), ""); code != 404 || body["error"] != "node not found" {
		t.Fatalf("GET /nodes/<unknown>: %d %v", code, body)
	}
	if code, body := r.do("GET", "/nodes/not-a-peer", ""); code != 400 || !strings.HasPrefix(body["error"].(string), "node_id:") {
		t.Fatalf("GET /nodes/<malformed>: %d %v", code, body)
	}
	code, topo := r.do("GET", "/network/topology", "")
	edges := topo["edges"].([]any)
	if code != 200 || len(topo["nodes"].([]any)) != 3 || len(edges) != 1 || edges[0].(map[string]any)["rtt_ms"] != 1.5 {
		t.Fatalf("GET /network/topology: %d %v", code, topo)
	}
	r.sink.Disconnected(p2p.PeerID(r.b))
	if _, topo := r.do("GET", "/network/topology", ""); len(topo["edges"].([]any)) != 0 {
		t.Fatalf("after the disconnect: %v", topo)
	}
}

func TestNodesSpeedtest(t *testing.T) {
	r := newNodesRig(t)
	r.meet()
	path := "/network/speedtest/" + r.b
	// Limited mode: no mesh, or a mesh that is not connected.
	if code, body := r.do("POST", path, ""); code != 503 || !strings.Contains(body["error"].(string), "the mesh is not running") {
		t.Fatalf("limited mode: %d %v", code, body)
	}
	r.mesh.connected = true
	r.mesh.result = messages.SpeedResult{RTTMs: 2, Bytes: 1 << 20, Seconds: 0.5, Mbps: 16.7}
	code, res := r.do("POST", path, "")
	if code != 200 || res["peer_id"] != r.b || res["mbps"] != 16.7 || res["error"] != nil {
		t.Fatalf("speed test: %d %v", code, res)
	}
	// A test that fails part-way is answered and kept, with its error.
	r.mesh.err = errors.New("stream reset")
	if code, res := r.do("POST", path, ""); code != 200 || res["error"] != "stream reset" {
		t.Fatalf("a failed test: %d %v", code, res)
	}
	// Refusals are not kept.
	for _, tc := range []struct {
		err  error
		code int
	}{
		{fmt.Errorf("%w: a test is running", messages.ErrConflict), 409},
		{fmt.Errorf("%w: not connected", messages.ErrNotFound), 404},
		{messages.LimitedMode("going down"), 503},
	} {
		r.mesh.err = tc.err
		if code, body := r.do("POST", path, ""); code != tc.code {
			t.Errorf("%v: %d %v, want %d", tc.err, code, body, tc.code)
		}
	}
	runs := r.mesh.runs
	if code, _ := r.do("POST", "/network/speedtest/"+nodesTestPeer(t, 9), ""); code != 404 {
		t.Fatalf("unknown peer: %d", code)
	}
	if code, _ := r.do("POST", "/network/speedtest/"+r.self, ""); code != 400 {
		t.Fatalf("this node: %d", code)
	}
	if code, body := r.do("POST", "/network/speedtest/xyz", ""); code != 400 || !strings.HasPrefix(body["error"].(string), "peer_id:") {
		t.Fatalf("malformed peer: %d %v", code, body)
	}
	if r.mesh.runs != runs {
		t.Fatal("a refused request reached the mesh")
	}
	code, hist := r.do("GET", path+"/history", "")
	results := hist["results"].([]any)
	if code != 200 || hist["peer_id"] != r.b || len(results) != 2 || results[0].(map[string]any)["error"] != "stream reset" || results[1].(map[string]any)["mbps"] != 16.7 {
		t.Fatalf("history: %d %v", code, hist)
	}
	if code, hist := r.do("GET", "/network/speedtest/"+r.c+"/history", ""); code != 200 || len(hist["results"].([]any)) != 0 {
		t.Fatalf("history of a node never tested: %d %v", code, hist)
	}
	if code, _ := r.do("GET", "/network/speedtest/"+nodesTestPeer(t, 9)+"/history", ""); code != 404 {
		t.Fatalf("history of an unknown node: %d", code)
	}
}

func TestNodesThroughputAndNAT(t *testing.T) {
	r := newNodesRig(t)
	if code, body := r.do("GET", "/stats/throughput", ""); code != 200 || body["bucket_s"] != 10.0 || len(body["buckets"].([]any)) != 1 {
		t.Fatalf("throughput: %d %v", code, body)
	}
	if code, body := r.do("GET", "/system/nat", ""); code != 200 || body["gateway_found"] != false || body["message"] != "no gateway found" {
		t.Fatalf("nat: %d %v", code, body)
	}
	r.routes.Traffic, r.routes.NAT = nil, nil
	h := api.NewRouter(r.routes.Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	for _, path := range []string{"/stats/throughput", "/system/nat"} {
		if code, _ := profDo(t, h, "GET", path, "", "Bearer "+apitest.GoodToken); code != 503 {
			t.Errorf("%s without its source: %d", path, code)
		}
	}
}
