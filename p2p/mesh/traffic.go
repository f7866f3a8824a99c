package mesh

import (
	"sync/atomic"

	"github.com/libp2p/go-libp2p/core/metrics"
)

// traffic is the host's bandwidth reporter: libp2p's counter (rates per peer and protocol) plus
// exact totals, which the counter only updates once a second.
type traffic struct {
	*metrics.BandwidthCounter
	in, out atomic.Uint64
}

func newTraffic() *traffic { return &traffic{BandwidthCounter: metrics.NewBandwidthCounter()} }

// LogSentMessage counts n payload bytes written to a stream.
func (t *traffic) LogSentMessage(n int64) {
	t.out.Add(uint64(n))
	t.BandwidthCounter.LogSentMessage(n)
}

// LogRecvMessage counts n payload bytes read from a stream.
func (t *traffic) LogRecvMessage(n int64) {
	t.in.Add(uint64(n))
	t.BandwidthCounter.LogRecvMessage(n)
}

// Traffic is the total payload bytes received and sent on every stream since Start, gossip
// included (GossipSub runs on streams); the swarm key, Noise and yamux overheads are not counted.
func (m *Mesh) Traffic() (in, out uint64) { return m.bw.in.Load(), m.bw.out.Load() }

// Bandwidth is libp2p's bandwidth counter, with rates by peer and by protocol, for diagnostics.
func (m *Mesh) Bandwidth() *metrics.BandwidthCounter { return m.bw.BandwidthCounter }
