package stream_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/stream"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// emitter is the test actor core: every emit message commits one event of the asked type.
type emitter struct{}

type (
	emit    struct{ Type string }
	emitted struct{}
	tick    struct {
		Entity string `json:"entity_echo"`
	}
)

func loadEmitter(string, persist.View) (host.Core, error) { return emitter{}, nil }

func (emitter) Step(_ time.Time, msg any, _ persist.View) host.Output {
	if m, ok := msg.(emit); ok {
		return host.Output{Events: []host.Event{{Type: m.Type, Data: tick{Entity: "x"}}}, Reply: emitted{}}
	}
	return host.Output{}
}

// token is the bearer token the rig's authenticator accepts.
const token = "test-token"

type auth struct{}

func (auth) Authenticate(_ context.Context, t string) (api.Principal, error) {
	if t != token {
		return api.Principal{}, messages.ErrUnauthorized
	}
	return api.Principal{Kind: "session", ID: "s1"}, nil
}

// rig is the real committed pipeline (bbolt, membus, node with the emitter kind) and the one
// broadcaster on its bus.
type rig struct {
	t    testing.TB
	bus  *membus.Bus
	node *node.Node
	mgr  *host.Manager
	log  host.EventLog
	bc   *stream.Broadcaster
}

func newRig(t testing.TB, eventLogMax uint64) *rig {
	t.Helper()
	store, err := boltdb.Open(filepath.Join(t.TempDir(), boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, bus: membus.New(), log: host.EventLog{Store: store}}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if r.node, err = node.Start(node.Deps{Store: store, Bus: r.bus, NodeID: "12D3KooWtest", Logger: quiet, EventLogMax: eventLogMax}); err != nil {
		t.Fatal(err)
	}
	if r.mgr, err = r.node.Register("emitter", loadEmitter); err != nil {
		t.Fatal(err)
	}
	if r.bc, err = stream.NewBroadcaster(r.bus, quiet); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.bc.Close()
		if err := r.node.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		_ = store.Close()
	})
	return r
}

// emit commits one event of typ by entity emitter/<id> and returns once it is published.
func (r *rig) emit(id, typ string) {
	r.t.Helper()
	if _, err := host.Ask[emitted](context.Background(), r.node.Root, r.mgr.PID, host.To{ID: id, Msg: emit{Type: typ}}, 10*time.Second); err != nil {
		r.t.Fatal(err)
	}
}

// emitN commits n events of typ.
func (r *rig) emitN(n int, typ string) {
	for i := 0; i < n; i++ {
		r.emit("e", typ)
	}
}

// newest is the newest log_seq committed.
func (r *rig) newest() uint64 {
	_, newest, err := r.log.Read(0, 1, func(*eventv1.Event) bool { return false })
	if err != nil {
		r.t.Fatal(err)
	}
	return newest
}

// server is an HTTP server with the stream mounted by the real router, as the daemon does.
type server struct {
	url    string
	hs     *http.Server
	active atomic.Int64 // stream handlers running
}

// serve mounts the stream with cfg on a fresh loopback server sharing the rig's broadcaster.
func (r *rig) serve(cfg stream.Config) *server { return r.serveLog(cfg, r.log) }

// serveLog is serve with another event log reader.
func (r *rig) serveLog(cfg stream.Config, log stream.EventLogReader) *server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.t.Fatal(err)
	}
	s := &server{url: "http://" + ln.Addr().String() + api.Prefix + "/events/stream"}
	rt := stream.Route(cfg, r.bc, log)
	inner := rt.Handler
	rt.Handler = func(w http.ResponseWriter, req *http.Request) {
		s.active.Add(1)
		defer s.active.Add(-1)
		inner(w, req)
	}
	s.hs = api.NewServer(api.NewRouter([]api.Route{rt}, api.RouterDeps{Auth: auth{}}), nil)
	s.hs.RegisterOnShutdown(r.bc.Close)
	go func() {
		if err := s.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.t.Error(err)
		}
	}()
	r.t.Cleanup(func() {
		r.bc.Close()
		_ = s.hs.Close()
		eventually(r.t, wait, "the stream handlers to return", func() bool { return s.active.Load() == 0 })
	})
	return s
}

// eventually polls cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// timeout fires after the tests' usual wait.
func timeout() <-chan time.Time { return time.After(wait) }
