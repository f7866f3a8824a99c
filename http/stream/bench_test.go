package stream_test

import (
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/natsbus"
	"github.com/meshhold/meshhold/http/stream"
	"github.com/meshhold/meshhold/messages/eventv1"
)

// Each case publishes for benchRounds × benchPhase through each path, alternating
// bus, bare, bare, bus, … so background load on a shared machine hits both alike.
const (
	benchRounds = 3
	benchPhase  = time.Second
)

// noLog is an empty event log: the benchmark streams live events only.
type noLog struct{}

func (noLog) Read(uint64, int, func(*eventv1.Event) bool) (uint64, uint64, error) { return 0, 0, nil }

// benchEvent is the committed event the benchmark publishes, stamped with its publish time.
func benchEvent(seq uint64, now int64) *eventv1.Event {
	return &eventv1.Event{Type: "bench_tick", Entity: "bench/b1", Seq: seq, LogSeq: seq, NodeId: "12D3KooWbench",
		TsMs: now / 1e6, Data: fmt.Appendf(nil, `{"t":%d}`, now)}
}

// BenchmarkFanout measures publish → SSE client delivery at a paced rate over real loopback
// HTTP: events go through the embedded NATS bus, the Broadcaster and the real Handler; the
// anchor, in the same run, is a bare channel fan-out (bareHub) to as many SSE clients. Both
// fleets stay connected for the whole case. Run with -benchtime 1x; b.N is not used.
//
// Measured 2026-11-27, 2 vCPU shared with the clients (quiet window): every event delivered,
// 1.00× the anchor's deliveries/s in both cases; p99 1.6 ms (anchor 1.5–2.5 ms) with 100
// clients at 2000/s, 19–33 ms (anchor 37–40 ms) with 1000 clients at 200/s. Under background
// load the 1000-client p99 rose to 60–460 ms and the anchor's more (190–1850 ms): each delivery
// costs a loopback write and read, and those syscalls are over half the CPU profile.
func BenchmarkFanout(b *testing.B) {
	for _, tc := range []struct{ clients, rate int }{{100, 2000}, {1000, 200}} {
		b.Run(fmt.Sprintf("clients=%d/rate=%d", tc.clients, tc.rate), func(b *testing.B) {
			nb, err := natsbus.Start(natsbus.Config{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer nb.Close()
			bc, err := stream.NewBroadcaster(nb, nil)
			if err != nil {
				b.Fatal(err)
			}
			busSrv := httptest.NewServer(stream.Handler(stream.Config{}, bc, noLog{}))
			defer busSrv.Close()
			defer bc.Close()
			hub := newBareHub()
			bareSrv := httptest.NewServer(hub)
			defer bareSrv.Close()
			defer hub.close()

			var seq atomic.Uint64
			viaBus := func(now int64) {
				ev := benchEvent(seq.Add(1), now)
				if err := nb.Publish(bus.EventSubject(ev.Type, ev.Entity), bus.Envelope(ev)); err != nil {
					b.Error(err)
				}
			}
			bare := func(now int64) {
				ev := benchEvent(seq.Add(1), now)
				hub.publish(fmt.Appendf(nil, "id: %d\nevent: %s\ndata: %s\n\n", ev.LogSeq, ev.Type, bus.Envelope(ev)))
			}
			busFleet, bareFleet := connect(b, busSrv.URL, tc.clients), connect(b, bareSrv.URL, tc.clients)
			for round := range benchRounds {
				first, second := busFleet, bareFleet
				firstPub, secondPub := viaBus, bare
				if round%2 == 1 {
					first, second, firstPub, secondPub = bareFleet, busFleet, bare, viaBus
				}
				first.phase(tc.clients, tc.rate, benchPhase, firstPub)
				second.phase(tc.clients, tc.rate, benchPhase, secondPub)
			}
			real, anchor := busFleet.stop(b), bareFleet.stop(b)
			if n := bc.Dropped(); n > 0 {
				b.Logf("bus: %d slow clients dropped", n)
			}
			b.ReportMetric(real.perSec, "deliveries/s")
			b.ReportMetric(ms(real.p50), "p50-ms")
			b.ReportMetric(ms(real.p99), "p99-ms")
			b.ReportMetric(anchor.perSec, "bare-deliveries/s")
			b.ReportMetric(ms(anchor.p99), "bare-p99-ms")
			b.ReportMetric(real.perSec/anchor.perSec, "x-bare-deliveries")
			b.ReportMetric(float64(real.p99)/float64(anchor.p99), "x-bare-p99")
			b.ReportMetric(float64(real.want-real.delivered), "lost")
			b.ReportMetric(float64(anchor.want-anchor.delivered), "bare-lost")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
