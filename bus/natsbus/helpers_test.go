package natsbus_test

import (
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/natsbus"
)

// startBus starts a bus for cfg and closes it when the test ends.
func startBus(t *testing.T, cfg natsbus.Config) *natsbus.Bus {
	t.Helper()
	b, err := natsbus.Start(cfg, testLogger(t))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// testLogger writes WARN and above to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Logf("%s", p); return len(p), nil }

var _ io.Writer = tWriter{}

// inbox collects the subjects and payloads a subscription receives.
type inbox struct {
	mu   sync.Mutex
	msgs []bus.Msg
}

func (in *inbox) add(m bus.Msg) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.msgs = append(in.msgs, m)
}

// payloads returns the payloads received so far, in order.
func (in *inbox) payloads() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]string, len(in.msgs))
	for i, m := range in.msgs {
		out[i] = string(m.Data)
	}
	return out
}

// has reports whether payload p was received.
func (in *inbox) has(p string) bool { return slices.Contains(in.payloads(), p) }

// subscribe subscribes a fresh inbox to subject on b.
func subscribe(t *testing.T, b bus.Bus, subject string) *inbox {
	t.Helper()
	in := &inbox{}
	if _, err := b.Subscribe(subject, in.add); err != nil {
		t.Fatalf("Subscribe(%s): %v", subject, err)
	}
	return in
}

// subscribeReady subscribes like subscribe and returns once the server has registered the
// subscription: the bus's own probe, published after it on the same connection, arrived.
func subscribeReady(t *testing.T, b bus.Bus, subject, probeSubject string) *inbox {
	t.Helper()
	in := subscribe(t, b, subject)
	publish(t, b, probeSubject, "probe")
	waitFor(t, "probe on "+subject, func() bool { return in.has("probe") })
	return in
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// publish publishes or fails the test.
func publish(t *testing.T, b bus.Bus, subject, payload string) {
	t.Helper()
	if err := b.Publish(subject, []byte(payload)); err != nil {
		t.Fatalf("Publish(%s): %v", subject, err)
	}
}
