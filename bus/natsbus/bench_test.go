package natsbus_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/natsbus"
)

// BenchmarkPublishDeliver measures 1 publisher → 1 subscriber through the Bus API, 128-byte
// payloads, per connection mode; msgs/s counts messages received, waiting for all b.N.
func BenchmarkPublishDeliver(b *testing.B) {
	for _, mode := range []natsbus.ConnMode{natsbus.ConnInProcess, natsbus.ConnLoopback} {
		b.Run(string(mode), func(b *testing.B) {
			nb, err := natsbus.Start(natsbus.Config{Conn: mode}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer nb.Close()
			subject := bus.EventSubject("bench_event", "bench/x")
			var got, probes atomic.Int64
			done := make(chan struct{})
			n := int64(b.N)
			sub, err := nb.Subscribe(bus.AllEvents, func(m bus.Msg) {
				if m.Subject != subject {
					probes.Add(1)
					return
				}
				if got.Add(1) == n {
					close(done)
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Unsubscribe()
			waitSubscribed(b, nb, bus.EventSubject("bench_ready", "bench/x"), &probes)

			payload := make([]byte, 128)
			b.SetBytes(int64(len(payload)))
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if err := nb.Publish(subject, payload); err != nil {
					b.Fatal(err)
				}
			}
			select {
			case <-done:
			case <-time.After(time.Minute):
				b.Fatalf("received %d of %d", got.Load(), b.N)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
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
