package stream_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/natsbus"
	"github.com/meshhold/meshhold/http/stream"
	"github.com/meshhold/meshhold/messages/eventv1"
)

// benchDur is how long each run publishes.
const benchDur = 3 * time.Second

// noLog is an empty event log: the benchmark streams live events only.
type noLog struct{}

func (noLog) Read(uint64, int, func(*eventv1.Event) bool) (uint64, uint64, error) { return 0, 0, nil }

// benchEvent is the committed event the benchmark publishes, stamped with its publish time.
func benchEvent(seq uint64, now int64) *eventv1.Event {
	return &eventv1.Event{Type: "bench_tick", Entity: "bench/b1", Seq: seq, LogSeq: seq, NodeId: "12D3KooWbench",
		TsMs: now / 1e6, Data: fmt.Appendf(nil, `{"t":%d}`, now)}
}

// BenchmarkFanout measures publish → SSE client delivery at a paced rate over real loopback HTTP:
// events go through the embedded NATS bus, the Broadcaster and the real handler; the anchor,
// in the same run, is a bare channel fan-out to the same number of SSE clients. Run with
// -benchtime 1x; b.N is not used.
func BenchmarkFanout(b *testing.B) {
	for _, tc := range []struct{ clients, rate int }{{100, 2000}, {1000, 200}} {
		b.Run(fmt.Sprintf("clients=%d/rate=%d", tc.clients, tc.rate), func(b *testing.B) {
			real := fanoutReal(b, tc.clients, tc.rate)
			bare := fanoutBare(b, tc.clients, tc.rate)
			for _, m := range []struct {
				name string
				f    fanout
			}{{"bus", real}, {"bare", bare}} {
				if m.f.delivered != m.f.want {
					b.Logf("%s: %d of %d deliveries arrived", m.name, m.f.delivered, m.f.want)
				}
			}
			b.ReportMetric(real.perSec, "deliveries/s")
			b.ReportMetric(ms(real.p50), "p50-ms")
			b.ReportMetric(ms(real.p99), "p99-ms")
			b.ReportMetric(bare.perSec, "bare-deliveries/s")
			b.ReportMetric(ms(bare.p99), "bare-p99-ms")
			b.ReportMetric(real.perSec/bare.perSec, "x-bare-deliveries")
			b.ReportMetric(float64(real.want-real.delivered), "lost")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fanoutReal runs the fan-out through natsbus, the Broadcaster and Handler.
func fanoutReal(b *testing.B, clients, rate int) fanout {
	nb, err := natsbus.Start(natsbus.Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer nb.Close()
	bc, err := stream.NewBroadcaster(nb, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(stream.Handler(stream.Config{}, bc, noLog{}))
	defer srv.Close()
	defer bc.Close()
	f := runFanout(b, srv.URL, clients, rate, benchDur, func(seq uint64, now int64) {
		ev := benchEvent(seq, now)
		if err := nb.Publish(bus.EventSubject(ev.Type, ev.Entity), bus.Envelope(ev)); err != nil {
			b.Error(err)
		}
	})
	if n := bc.Dropped(); n > 0 {
		b.Logf("bus: %d slow clients dropped", n)
	}
	return f
}

// fanoutBare runs the same load through bareHub.
func fanoutBare(b *testing.B, clients, rate int) fanout {
	hub := newBareHub()
	srv := httptest.NewServer(hub)
	defer srv.Close()
	defer hub.close()
	return runFanout(b, srv.URL, clients, rate, benchDur, func(seq uint64, now int64) {
		ev := benchEvent(seq, now)
		hub.publish(fmt.Appendf(nil, "id: %d\nevent: %s\ndata: %s\n\n", ev.LogSeq, ev.Type, bus.Envelope(ev)))
	})
}
