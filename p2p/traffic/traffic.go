// Package traffic keeps the throughput ring behind GET /stats/throughput: the bytes a node
// received and sent in each 10 s of the last 10 minutes, from the deltas of the transport's
// running totals (p2p.Transport.Traffic).
package traffic

import (
	"context"
	"sync"
	"time"

	"github.com/meshhold/meshhold/messages"
)

// The ring's shape: Buckets buckets of Bucket each.
const (
	Bucket  = 10 * time.Second
	Buckets = 60
)

// DefaultInterval is how often Run samples.
const DefaultInterval = time.Second

// slot is one bucket: its start (ms, a multiple of Bucket) and the bytes counted in it.
type slot struct {
	start   int64
	in, out uint64
}

// Ring is the throughput ring. Safe for concurrent use.
type Ring struct {
	sample func() (in, out uint64)
	now    func() time.Time

	mu      sync.Mutex
	lastIn  uint64
	lastOut uint64
	slots   [Buckets]slot
}

// New starts a ring over sample, the running totals of bytes in and out (what the transport
// counted so far at New is not the ring's); now is the clock (time.Now when nil). sample may
// go back to 0 — a new transport after a restart of the mesh, or none at all: the ring then
// counts from the new totals, never a negative delta.
func New(sample func() (in, out uint64), now func() time.Time) *Ring {
	if now == nil {
		now = time.Now
	}
	r := &Ring{sample: sample, now: now}
	r.lastIn, r.lastOut = sample()
	for i := range r.slots {
		r.slots[i].start = -1
	}
	return r
}

// Tick samples the totals and adds what moved since the last sample to the current bucket.
func (r *Ring) Tick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tick()
}

// tick samples under r.mu, so two samples are never applied out of order (which would look
// like a counter going back).
func (r *Ring) tick() {
	in, out := r.sample()
	now := r.now()
	dIn, dOut := delta(r.lastIn, in), delta(r.lastOut, out)
	r.lastIn, r.lastOut = in, out
	s := r.slot(startOf(now))
	s.in += dIn
	s.out += dOut
}

// delta is cur-last, or cur when the counter went back (it restarted from 0).
func delta(last, cur uint64) uint64 {
	if cur < last {
		return cur
	}
	return cur - last
}

// startOf is the start of the bucket holding t, in ms.
func startOf(t time.Time) int64 {
	ms, size := t.UnixMilli(), Bucket.Milliseconds()
	if ms < 0 {
		return (ms - size + 1) / size * size
	}
	return ms / size * size
}

// slot returns the bucket starting at start, emptying the slot if it held an older bucket.
func (r *Ring) slot(start int64) *slot {
	i := (start / Bucket.Milliseconds()) % Buckets
	if i < 0 {
		i += Buckets
	}
	s := &r.slots[i]
	if s.start != start {
		*s = slot{start: start}
	}
	return s
}

// Snapshot samples once more and returns the last Buckets buckets, oldest first, the current
// one last. Rates divide by the bucket's length, or for the current bucket by the part of it
// that has passed (at least a second).
func (r *Ring) Snapshot() messages.Throughput {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tick()
	now := r.now()
	cur, size := startOf(now), Bucket.Milliseconds()
	out := messages.Throughput{BucketS: int(Bucket / time.Second), Buckets: make([]messages.ThroughputBucket, 0, Buckets)}
	for k := Buckets - 1; k >= 0; k-- {
		start := cur - int64(k)*size
		b := messages.ThroughputBucket{AtMs: start}
		i := (start / size) % Buckets
		if i < 0 {
			i += Buckets
		}
		if s := r.slots[i]; s.start == start {
			b.InBytes, b.OutBytes = s.in, s.out
		}
		secs := float64(size) / 1000
		if k == 0 {
			secs = max(float64(now.UnixMilli()-start)/1000, 1)
		}
		b.InBps, b.OutBps = float64(b.InBytes)/secs, float64(b.OutBytes)/secs
		out.Buckets = append(out.Buckets, b)
	}
	return out
}

// Run ticks every interval (DefaultInterval when 0) until ctx ends.
func (r *Ring) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.Tick()
		}
	}
}
