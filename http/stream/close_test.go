package stream_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/http/stream"
	"github.com/meshhold/meshhold/messages/eventv1"
)

// http.Server.Shutdown, with Broadcaster.Close registered as its OnShutdown hook (as the daemon
// mounts it), drains promptly: idle streams and a stream stuck writing to a client that stopped
// reading all end; later requests get 503.
func TestShutdownEndsStreams(t *testing.T) {
	r := newRig(t, 0)
	srv := r.serve(stream.Config{})
	idle := []*sse{open(t, nil, srv.url, nil), open(t, nil, srv.url+"?types=nothing_happens", nil)}
	stuck := request(t, nil, srv.url, nil)
	pad := strings.Repeat("x", 32<<10)
	for i := range 300 { // ~10 MB: more than the socket buffers hold, less than the queue
		ev := &eventv1.Event{Type: "big_thing", Entity: "test/big", Seq: uint64(i + 1), LogSeq: uint64(i + 1), Data: fmt.Appendf(nil, `{"pad":%q}`, pad)}
		if err := r.bus.Publish(bus.EventSubject(ev.Type, ev.Entity), bus.Envelope(ev)); err != nil {
			t.Fatal(err)
		}
	}
	if f := idle[0].event(wait); f.id != "1" {
		t.Fatalf("got %+v", f)
	}
	if srv.active.Load() != 3 || r.bc.Dropped() != 0 {
		t.Fatalf("%d handlers, %d dropped before shutdown; want 3 and 0", srv.active.Load(), r.bc.Dropped())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.hs.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	took := time.Since(start)
	if srv.active.Load() != 0 || r.bc.Clients() != 0 {
		t.Fatalf("after Shutdown: %d handlers, %d clients", srv.active.Load(), r.bc.Clients())
	}
	for _, s := range idle {
		s.waitEnd(wait)
	}
	ended := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, stuck.Body); close(ended) }()
	select {
	case <-ended:
	case <-time.After(wait):
		t.Fatal("the stuck client's stream did not end")
	}
	t.Logf("Shutdown drained 3 streams in %v", took)

	late := r.serve(stream.Config{})
	req, _ := http.NewRequest(http.MethodGet, late.url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("after Close: %d %s, want a 503 JSON error", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
