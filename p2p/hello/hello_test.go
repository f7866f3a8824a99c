package hello_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/hello"
	"github.com/meshhold/meshhold/p2p/memnet"
)

// memSink is an in-memory directory: what a node's service reported.
type memSink struct {
	mu        sync.Mutex
	connected map[p2p.PeerID]bool
	infos     map[string]messages.NodeInfo
	via       map[string]string
	log       []string
	announced int
}

func newSink() *memSink {
	return &memSink{connected: map[p2p.PeerID]bool{}, infos: map[string]messages.NodeInfo{}, via: map[string]string{}}
}

func (s *memSink) Connected(p p2p.PeerID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connected[p] = true
	s.log = append(s.log, "connected "+string(p))
}

func (s *memSink) Disconnected(p p2p.PeerID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.connected, p)
	s.log = append(s.log, "disconnected "+string(p))
}

func (s *memSink) Seen(info messages.NodeInfo, via string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.infos[info.NodeID]; ok && via == messages.ViaRelay {
		return
	}
	s.infos[info.NodeID], s.via[info.NodeID] = info, via
}

func (s *memSink) Announced(messages.NodeInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.announced++
}

func (s *memSink) Known(context.Context) []messages.NodeInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []messages.NodeInfo
	for _, id := range slices.Sorted(maps.Keys(s.infos)) {
		out = append(out, s.infos[id])
	}
	return out
}

// view renders what the sink knows: "id=name(via)" sorted, then the connected peers.
func (s *memSink) view() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for _, id := range slices.Sorted(maps.Keys(s.infos)) {
		parts = append(parts, fmt.Sprintf("%s=%s(%s)", id, s.infos[id].DisplayName, s.via[id]))
	}
	var conn []string
	for p := range s.connected {
		conn = append(conn, string(p))
	}
	slices.Sort(conn)
	return strings.Join(parts, " ") + " | " + strings.Join(conn, ",")
}

// member is one node of a test mesh: its transport, service, sink and display name.
type member struct {
	tr   p2p.Transport
	svc  *hello.Service
	sink *memSink
	name atomic.Value
}

func (m *member) self() messages.NodeInfo {
	return hello.SelfInfo(m.tr, messages.NodeInfo{DisplayName: m.name.Load().(string), Version: "test", Caps: []string{"vault"}})
}

// start runs a hello service for node id of n.
func start(t *testing.T, n *memnet.Network, id p2p.PeerID, interval time.Duration) *member {
	t.Helper()
	m := &member{tr: n.Node(id), sink: newSink()}
	m.name.Store("node " + string(id))
	svc, err := hello.Start(m.tr, m.self, m.sink, hello.Config{Interval: interval})
	if err != nil {
		t.Fatal(err)
	}
	m.svc = svc
	return m
}

// settle lets d of virtual time pass and every goroutine block again.
func settle(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func TestThreeNodesLearnEachOther(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New(1, memnet.Config{Faults: memnet.Faults{Delay: 10 * time.Millisecond}})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		a, b, c := start(t, n, "a", time.Minute), start(t, n, "b", time.Minute), start(t, n, "c", time.Minute)

		mustConnect(t, n, "b", "c")
		settle(time.Second)
		mustConnect(t, n, "a", "b") // b knows c by now, and introduces it to a
		settle(time.Second)
		for _, tc := range []struct {
			m    *member
			want string
		}{
			{a, "b=node b(hello) c=node c(relay) | b"},
			{b, "a=node a(hello) c=node c(hello) | a,c"},
			{c, "b=node b(gossip) | b"}, // b announced its new peer a after greeting c
		} {
			if got := tc.m.sink.view(); got != tc.want {
				t.Errorf("%s knows %q, want %q", tc.m.tr.Self(), got, tc.want)
			}
		}

		// A rename is gossiped at once on Announce (memnet gossip goes one hop).
		b.name.Store("Bob")
		b.svc.Announce()
		settle(time.Second)
		if got := a.sink.view(); got != "b=Bob(gossip) c=node c(relay) | b" {
			t.Errorf("after b's announce a knows %q", got)
		}
		// Without Announce, the next interval carries it.
		c.name.Store("Carol")
		settle(time.Minute)
		if got := b.sink.view(); got != "a=node a(gossip) c=Carol(gossip) | a,c" {
			t.Errorf("after an interval b knows %q", got)
		}
		if a.sink.announced < 2 {
			t.Errorf("a announced itself %d times in a minute and a bit, want 2 or more", a.sink.announced)
		}

		n.Disconnect("a", "b")
		settle(time.Second)
		if got := a.sink.view(); !strings.HasSuffix(got, "| ") {
			t.Errorf("after the disconnect a still counts %q", got)
		}
		for _, m := range []*member{a, b, c} {
			m.svc.Stop()
		}
		if got := strings.Join(b.sink.log, ","); got != "connected c,connected a,disconnected a,disconnected c" {
			t.Errorf("b's peer reports %s", got)
		}
		cancel()
		<-done
	})
}

// A node started while connected greets the peers it already has.
func TestStartGreetsPeersAlreadyConnected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New(1, memnet.Config{Faults: memnet.Faults{Delay: time.Millisecond}})
		n.Node("a")
		n.Node("b")
		mustConnect(t, n, "a", "b")
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		settle(time.Second)
		b := start(t, n, "b", time.Minute)
		// a's service starts late: b's first hello is refused, a retry gets through.
		settle(500 * time.Millisecond)
		a := start(t, n, "a", time.Minute)
		settle(5 * time.Second)
		if got := a.sink.view(); got != "b=node b(hello) | b" {
			t.Errorf("a knows %q", got)
		}
		if got := b.sink.view(); got != "a=node a(hello) | a" {
			t.Errorf("b knows %q", got)
		}
		a.svc.Stop()
		b.svc.Stop()
		cancel()
		<-done
	})
}

func mustConnect(t *testing.T, n *memnet.Network, x, y p2p.PeerID) {
	t.Helper()
	if err := n.Connect(x, y); err != nil {
		t.Fatal(err)
	}
}

// frame is a uvarint length and payload, as the hello protocol writes them.
func frame(payload []byte) []byte {
	return append(binary.AppendUvarint(nil, uint64(len(payload))), payload...)
}

// A peer that sends garbage, lies about who it is or sends too much is logged and dropped; the
// service keeps working.
func TestMalformedInputIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New(1, memnet.Config{Faults: memnet.Faults{Delay: time.Millisecond}})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		a := start(t, n, "a", time.Hour)
		m := n.Node("m") // a raw peer without the service
		m.SetStreamHandler(hello.Protocol, func(s p2p.Stream) { _ = s.Reset() })
		mt, err := m.Join(hello.Topic)
		if err != nil {
			t.Fatal(err)
		}
		mustConnect(t, n, "a", "m")
		settle(time.Minute) // a's greetings fail three times; no harm done

		for _, data := range [][]byte{
			[]byte("not json"),
			[]byte(`{"v":0,"info":{"node_id":"m"}}`),
			[]byte(`{"v":1,"info":{"node_id":"x","display_name":"spoof"}}`),
			[]byte(`{"v":1,"info":{"node_id":"m","display_name":"bad\u0007name"}}`),
			bytes.Repeat([]byte(" "), hello.MaxInfoBytes+1),
		} {
			if err := mt.Publish(context.Background(), data); err != nil {
				t.Fatal(err)
			}
		}
		for _, raw := range [][]byte{
			frame([]byte("{")),
			binary.AppendUvarint(nil, hello.MaxAnswerBytes*4), // a length past the limit
			{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
			frame([]byte(`{"v":1,"info":{"node_id":"x"}}`)), // not who opened the stream
		} {
			s, err := m.OpenStream(context.Background(), "a", hello.Protocol)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = s.Write(raw)
			_ = s.CloseWrite()
			if got, err := io.ReadAll(s); err == nil || len(got) > 0 {
				t.Errorf("a answered %q (%v) to a malformed hello", got, err)
			}
		}
		settle(time.Second)
		if got := a.sink.view(); got != " | m" {
			t.Fatalf("a took something from the malformed input: %q", got)
		}

		// A good hello still works, and the answer is a well-formed envelope.
		s, err := m.OpenStream(context.Background(), "a", hello.Protocol)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = s.Write(frame([]byte(`{"v":1,"info":{"node_id":"m","display_name":"Mo","extra":"ignored"}}`)))
		_ = s.CloseWrite()
		answer, err := io.ReadAll(s)
		if err != nil {
			t.Fatal(err)
		}
		k, w := binary.Uvarint(answer)
		var env struct {
			V    int               `json:"v"`
			Info messages.NodeInfo `json:"info"`
		}
		if w <= 0 || int(k) != len(answer)-w || json.Unmarshal(answer[w:], &env) != nil || env.V != 1 || env.Info.NodeID != "a" || env.Info.DisplayName != "node a" {
			t.Fatalf("answer %q", answer)
		}
		settle(time.Second)
		if got := a.sink.view(); got != "m=Mo(hello) | m" {
			t.Fatalf("after a good hello a knows %q", got)
		}
		a.svc.Stop()
		cancel()
		<-done
	})
}
