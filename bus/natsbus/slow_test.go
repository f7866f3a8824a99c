package natsbus_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/natsbus"
)

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func TestSlowConsumerDropsAndWarnsOnce(t *testing.T) {
	t.Cleanup(natsbus.SetPendingLimits(10, 1<<20))
	var logs logBuffer
	b, err := natsbus.Start(natsbus.Config{}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	slow := bus.EventSubject("slow", "test/1")
	fence := subscribe(t, b, "test.fence")
	// episode blocks a fresh subscriber on slow, overflows it and fences; call the result
	// to release the subscriber.
	episode := func(name string) (release func()) {
		blocked := make(chan struct{})
		if _, err := b.Subscribe(slow, func(bus.Msg) { <-blocked }); err != nil {
			t.Fatal(err)
		}
		for range 200 {
			publish(t, b, slow, "m")
		}
		publish(t, b, "test.fence", name)
		waitFor(t, name, func() bool { return fence.has(name) })
		return func() { close(blocked) }
	}

	release := episode("first")
	waitFor(t, "slow consumer warning", func() bool {
		return strings.Contains(logs.String(), "bus subscriber too slow")
	})
	release()
	episode("second")()               // inside the rate-limit interval: no second warning
	if err := b.Close(); err != nil { // runs the pending asynchronous callbacks
		t.Fatal(err)
	}
	if got := strings.Count(logs.String(), "bus subscriber too slow"); got != 1 {
		t.Errorf("%d slow-consumer warnings, want 1:\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), "subject="+slow) {
		t.Errorf("warning does not name the subject:\n%s", logs.String())
	}
}
