package metrics

import (
	"context"
	"math"
	"runtime"
	"sync"
	"time"
)

// RingSize is how many samples the sampler keeps: 24 h of one-minute samples.
const RingSize = 1440

// DefaultInterval is the sampling interval of the daemon.
const DefaultInterval = time.Minute

// FirstSampleAfter is the longest a started sampler waits for its first sample, so
// /system/metrics has data soon after a start; later samples follow every interval.
const FirstSampleAfter = 10 * time.Second

// Sampler keeps a ring of the last RingSize samples, in memory only: a restart starts a new ring.
type Sampler struct {
	c        *Counters
	interval time.Duration

	mu     sync.Mutex
	ring   [RingSize]Sample
	next   int // slot of the next sample
	n      int // samples held
	prev   reading
	stop   context.CancelFunc
	done   chan struct{}
	closed bool
}

// reading is what deltas are taken from.
type reading struct {
	at   time.Time
	cpu  time.Duration
	snap Snapshot
}

// NewSampler returns a sampler of c taking a sample every interval (DefaultInterval if ≤ 0);
// deltas of the first sample count from now.
func NewSampler(c *Counters, interval time.Duration) *Sampler {
	if interval <= 0 {
		interval = DefaultInterval
	}
	s := &Sampler{c: c, interval: interval}
	s.prev = s.read(time.Now())
	return s
}

// Interval is the time between samples.
func (s *Sampler) Interval() time.Duration { return s.interval }

// Start samples in the background, first after min(FirstSampleAfter, interval), then every
// interval, until ctx ends or Stop; deltas of the first sample count from Start. A second Start
// does nothing.
func (s *Sampler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done != nil || s.closed {
		return
	}
	ctx, s.stop = context.WithCancel(ctx)
	s.done = make(chan struct{})
	s.prev = s.read(time.Now())
	go s.run(ctx, s.done)
}

// Stop ends the background sampling and waits for it; the ring stays readable.
func (s *Sampler) Stop() {
	s.mu.Lock()
	s.closed = true
	stop, done := s.stop, s.done
	s.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

func (s *Sampler) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	first := time.NewTimer(min(FirstSampleAfter, s.interval))
	defer first.Stop()
	select {
	case <-ctx.Done():
		return
	case now := <-first.C:
		s.SampleAt(now)
	}
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			s.SampleAt(now)
		}
	}
}

// SampleAt takes a sample stamped now, its deltas since the previous one, and stores it in the
// ring, overwriting the oldest once RingSize are held. The loop calls it; tests drive it with
// their own clock.
func (s *Sampler) SampleAt(now time.Time) Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.read(now)
	prev := s.prev
	s.prev = cur
	span := max(cur.at.Sub(prev.at), 0)
	smp := Sample{
		TsMs:            now.UnixMilli(),
		SpanMs:          span.Milliseconds(),
		RSSBytes:        rssBytes(),
		Goroutines:      runtime.NumGoroutine(),
		OpenConns:       cur.snap.OpenConns,
		Peers:           cur.snap.Peers,
		BytesIn:         cur.snap.BytesIn - prev.snap.BytesIn,
		BytesOut:        cur.snap.BytesOut - prev.snap.BytesOut,
		EventsPublished: cur.snap.EventsPublished - prev.snap.EventsPublished,
	}
	var req [5]uint64
	for i := range req {
		req[i] = cur.snap.Requests[i] - prev.snap.Requests[i]
	}
	smp.Requests = byClass(req)
	if span > 0 && cur.cpu >= prev.cpu {
		smp.CPUPercent = math.Round(float64(cur.cpu-prev.cpu)/float64(span)*100*100) / 100
	}
	s.ring[s.next] = smp
	s.next = (s.next + 1) % RingSize
	s.n = min(s.n+1, RingSize)
	return smp
}

// read takes the counters and the process CPU time at now.
func (s *Sampler) read(now time.Time) reading {
	return reading{at: now, cpu: cpuTime(), snap: s.c.Snapshot()}
}

// Samples returns, oldest first, the held samples whose TsMs lies within [from, to]; a zero
// from or to leaves that end open.
func (s *Sampler) Samples(from, to time.Time) []Sample {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		lo = from.UnixMilli()
	}
	if !to.IsZero() {
		hi = to.UnixMilli()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Sample{}
	for i := range s.n {
		smp := &s.ring[(s.next-s.n+i+RingSize)%RingSize]
		if smp.TsMs >= lo && smp.TsMs <= hi {
			out = append(out, *smp)
		}
	}
	return out
}
