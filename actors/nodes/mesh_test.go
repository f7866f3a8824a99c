package nodes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/actors/nodes"
	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/hello"
	"github.com/meshhold/meshhold/p2p/memnet"
	"github.com/meshhold/meshhold/persist/memstore"
)

// daemon is the part of a node the directory needs: its actors over memstore, the directory
// registered, and p2p/hello feeding it through nodes.Sink.
type daemon struct {
	id     p2p.PeerID
	node   *node.Node
	mgr    *host.Manager
	hello  *hello.Service
	mu     sync.Mutex
	events []string
}

const interval = 200 * time.Millisecond

func startDaemon(t *testing.T, n *memnet.Network, id p2p.PeerID) *daemon {
	t.Helper()
	d := &daemon{id: id}
	b := membus.New()
	if _, err := b.Subscribe(bus.AllEvents, func(m bus.Msg) {
		var ev struct{ Type string }
		_ = json.Unmarshal(m.Data, &ev)
		d.mu.Lock()
		defer d.mu.Unlock()
		d.events = append(d.events, ev.Type)
	}); err != nil {
		t.Fatal(err)
	}
	var err error
	d.node, err = node.Start(node.Deps{Store: memstore.New(), Bus: b, NodeID: string(id), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if d.mgr, err = d.node.Register(messages.NodesKind, nodes.Load(nodes.Config{Self: string(id), OnlineFor: 3 * interval})); err != nil {
		t.Fatal(err)
	}
	tr := n.Node(id)
	sink := nodes.Sink{Root: d.node.Root, Mgr: d.mgr}
	started := time.Now().UnixMilli()
	self := func() messages.NodeInfo {
		return hello.SelfInfo(tr, messages.NodeInfo{DisplayName: "node " + string(id), Version: "test", StartedMs: started})
	}
	if d.hello, err = hello.Start(tr, self, sink, hello.Config{Interval: interval, Retry: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *daemon) stop(t *testing.T) {
	d.hello.Stop()
	if err := d.node.Stop(context.Background()); err != nil {
		t.Error(err)
	}
}

func ask[R any](t *testing.T, d *daemon, msg any) R {
	t.Helper()
	r, err := host.AskChild[R](context.Background(), d.node.Root, d.mgr, messages.NodesID, msg, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// view is what d's directory says: its online nodes and the edges, as one line.
func (d *daemon) view(t *testing.T) string {
	var online []string
	for _, v := range ask[messages.NodeList](t, d, messages.ListNodes{OnlineOnly: true}).Nodes {
		online = append(online, v.NodeID+"="+v.DisplayName)
	}
	slices.Sort(online)
	var edges []string
	for _, e := range ask[messages.Topology](t, d, messages.GetTopology{}).Edges {
		edges = append(edges, e.A+"-"+e.B)
	}
	return strings.Join(online, ",") + " | " + strings.Join(edges, ",")
}

// eventually polls until each daemon's view is the one wanted of it.
func eventually(t *testing.T, want map[*daemon]string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []string
		for d, w := range want {
			if v := d.view(t); v != w {
				got = append(got, fmt.Sprintf("%s: %s, want %s", d.id, v, w))
			}
		}
		if len(got) == 0 {
			return
		}
		if time.Now().After(deadline) {
			slices.Sort(got)
			t.Fatalf("views:\n%s", strings.Join(got, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Three nodes over memnet, each with a real actor runtime: their directories and topologies
// agree, follow a link going down and a node leaving, and report it in events.
func TestThreeDirectoriesAgree(t *testing.T) {
	n := memnet.New(1, memnet.Config{Faults: memnet.Faults{Delay: time.Millisecond}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() { cancel(); <-done }()

	a, b, c := startDaemon(t, n, "a"), startDaemon(t, n, "b"), startDaemon(t, n, "c")
	for _, pair := range [][2]p2p.PeerID{{"a", "b"}, {"b", "c"}, {"a", "c"}} {
		if err := n.Connect(pair[0], pair[1]); err != nil {
			t.Fatal(err)
		}
	}
	all := "a=node a,b=node b,c=node c | a-b,a-c,b-c"
	eventually(t, map[*daemon]string{a: all, b: all, c: all})

	// b hears both ends still. memnet's gossip goes one hop (gossipsub's goes across the mesh),
	// so a and c stop hearing each other: after three intervals each shows the other offline.
	n.Disconnect("a", "c")
	eventually(t, map[*daemon]string{
		a: "a=node a,b=node b | a-b",
		b: "a=node a,b=node b,c=node c | a-b,b-c",
		c: "b=node b,c=node c | b-c",
	})

	c.stop(t) // c's service reports its peers gone; b's link to c drops with c's transport
	_ = n.Node("c").Close()
	eventually(t, map[*daemon]string{a: "a=node a,b=node b | a-b", b: "a=node a,b=node b | a-b"})

	// a's directory still lists c, offline, and says where it was.
	cv := ask[messages.NodeView](t, a, messages.GetNode{NodeID: "c"})
	if cv.Online || cv.DisplayName != "node c" || cv.LastSeenMs == 0 {
		t.Fatalf("c in a's directory: %+v", cv)
	}
	a.mu.Lock()
	evs := strings.Join(a.events, ",")
	a.mu.Unlock()
	for _, want := range []string{"peer_connected", "peer_disconnected", "node_updated", "topology_changed"} {
		if !strings.Contains(evs, want) {
			t.Errorf("a published no %s: %s", want, evs)
		}
	}
	a.stop(t)
	b.stop(t)
}
