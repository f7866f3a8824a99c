package webhook_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/http/webhook"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memstore"
)

const secret = "a signing secret of some length"

// appendEvents commits events of types to store's event log after the newest one, as the
// committer does (log_seq key in meta, events keyed by big-endian log_seq), and returns the
// log_seq of the last.
func appendEvents(t *testing.T, store *memstore.Store, types ...string) uint64 {
	t.Helper()
	_, newest, err := host.EventLog{Store: store}.Read(^uint64(0), 1, func(*eventv1.Event) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	var writes []persist.Write
	for _, typ := range types {
		newest++
		data, _ := json.Marshal(map[string]any{"n": newest})
		rec, err := proto.Marshal(&eventv1.Event{Type: typ, Entity: "vault/v" + strconv.FormatUint(newest, 10), Seq: 1, LogSeq: newest, NodeId: "node-a", TsMs: 1_700_000_000_000, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		writes = append(writes, persist.Write{Bucket: persist.Events, Key: host.EventKey(newest), Value: rec})
	}
	writes = append(writes, persist.Write{Bucket: persist.Meta, Key: "log_seq", Value: binary.BigEndian.AppendUint64(nil, newest)})
	if err := store.Commit(writes); err != nil {
		t.Fatal(err)
	}
	return newest
}

// prune deletes the events up to and including upto, as the committer's pruning does.
func prune(t *testing.T, store *memstore.Store, from, upto uint64) {
	t.Helper()
	var writes []persist.Write
	for seq := from; seq <= upto; seq++ {
		writes = append(writes, persist.Write{Bucket: persist.Events, Key: host.EventKey(seq), Delete: true})
	}
	if err := store.Commit(writes); err != nil {
		t.Fatal(err)
	}
}

// delivery is one request a receiver got.
type delivery struct {
	seq       uint64
	event     string
	webhook   string
	signature string
	body      []byte
}

// receiver is an httptest server that answers each request with the next status of a script
// (200 once the script is used up) and keeps every request.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	script  []int
	header  http.Header // extra headers on every answer
	got     []delivery
	arrived chan struct{}
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script, header: http.Header{}, arrived: make(chan struct{}, 1000)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		seq, _ := strconv.ParseUint(req.Header.Get(webhook.HeaderDelivery), 10, 64)
		r.mu.Lock()
		r.got = append(r.got, delivery{seq: seq, event: req.Header.Get(webhook.HeaderEvent), webhook: req.Header.Get(webhook.HeaderWebhook),
			signature: req.Header.Get(webhook.HeaderSignature), body: body})
		status := http.StatusOK
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		for k, v := range r.header {
			w.Header()[k] = v
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		r.arrived <- struct{}{}
	}))
	t.Cleanup(r.Close)
	return r
}

// deliveries returns a copy of what arrived so far.
func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// waitFor waits until n requests arrived.
func (r *receiver) waitFor(t *testing.T, n int) []delivery {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := r.deliveries(); len(got) >= n {
			return got
		}
		select {
		case <-r.arrived:
		case <-deadline:
			t.Fatalf("%d requests after 10 s, want %d: %v", len(r.deliveries()), n, seqs(r.deliveries()))
		}
	}
}

func seqs(ds []delivery) []uint64 {
	out := make([]uint64, len(ds))
	for i, d := range ds {
		out[i] = d.seq
	}
	return out
}

// incidents collects what a sender reports.
type incidents struct {
	mu  sync.Mutex
	got []webhook.Incident
}

func (in *incidents) report(_ context.Context, i webhook.Incident) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.got = append(in.got, i)
	return nil
}

func (in *incidents) all() []webhook.Incident {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]webhook.Incident(nil), in.got...)
}

// fastConfig is a webhook to url with millisecond backoff and polling.
func fastConfig(url string, events ...string) webhook.Config {
	return webhook.Config{Name: "ci", URL: url, Events: events, Secret: secret,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 80 * time.Millisecond, Poll: 10 * time.Millisecond, Timeout: 2 * time.Second}
}

// run starts a sender on store and returns a stop that cancels it and waits for Run to end.
func run(t *testing.T, cfg webhook.Config, store persist.Store, in *incidents) (*webhook.Sender, func()) {
	t.Helper()
	deps := webhook.Deps{Log: host.EventLog{Store: store}, Store: store}
	if in != nil {
		deps.Report = in.report
	}
	s, err := webhook.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return s, stop
}

// cursorOf reads the stored cursor of webhook name.
func cursorOf(t *testing.T, store persist.Store, name string) uint64 {
	t.Helper()
	c, ok, err := webhook.LoadCursor(store, name)
	if err != nil || !ok {
		t.Fatalf("cursor of %s: %d %v %v", name, c, ok, err)
	}
	return c
}

// waitCursor waits until the stored cursor of webhook name is want.
func waitCursor(t *testing.T, store persist.Store, name string, want uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for cursorOf(t, store, name) != want {
		if time.Now().After(deadline) {
			t.Fatalf("stored cursor %d, want %d", cursorOf(t, store, name), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func hostLog(store *memstore.Store) host.EventLog { return host.EventLog{Store: store} }
