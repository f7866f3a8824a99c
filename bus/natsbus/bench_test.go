package natsbus_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/natsbus"
)

// BenchmarkPublishDeliver measures 1 publisher → 1 subscriber through the Bus API, 128-byte
// payloads, b.N messages over each connection mode in the same run, and reports both rates and
// their ratio (loopback over in-process) — the numbers behind the default bus.conn.
func BenchmarkPublishDeliver(b *testing.B) {
	in := deliverRate(b, natsbus.ConnInProcess, b.N)
	loop := deliverRate(b, natsbus.ConnLoopback, b.N)
	b.ReportMetric(in, "inprocess-msgs/s")
	b.ReportMetric(loop, "loopback-msgs/s")
	b.ReportMetric(loop/in, "x-inprocess")
}

// deliverRate publishes n messages over a fresh bus in mode and returns messages received per
// second, waiting for all of them.
func deliverRate(b *testing.B, mode natsbus.ConnMode, n int) float64 {
	nb, err := natsbus.Start(natsbus.Config{Conn: mode}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer nb.Close()
	subject := bus.EventSubject("bench_event", "bench/x")
	var got, probes atomic.Int64
	done := make(chan struct{})
	sub, err := nb.Subscribe(bus.AllEvents, func(m bus.Msg) {
		if m.Subject != subject {
			probes.Add(1)
			return
		}
		if got.Add(1) == int64(n) {
			close(done)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	waitSubscribed(b, nb, bus.EventSubject("bench_ready", "bench/x"), &probes)
	payload := make([]byte, 128)
	start := time.Now()
	for range n {
		if err := nb.Publish(subject, payload); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		b.Fatalf("%s: received %d of %d", mode, got.Load(), n)
	}
	return float64(n) / time.Since(start).Seconds()
}

// waitSubscribed publishes probes on subject until the subscriber has counted one, so the
// measured run starts with the subscription in place.
func waitSubscribed(tb testing.TB, b bus.Bus, subject string, got *atomic.Int64) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for got.Load() == 0 {
		if time.Now().After(deadline) {
			tb.Fatal("subscription never saw a probe")
		}
		if err := b.Publish(subject, nil); err != nil {
			tb.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
}
