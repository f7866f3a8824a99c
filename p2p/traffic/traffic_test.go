package traffic_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/p2p/traffic"
)

// fake is a transport's counters and a clock, moved by the test.
type fake struct {
	mu      sync.Mutex
	in, out uint64
	now     time.Time
}

func (f *fake) sample() (uint64, uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.in, f.out
}

func (f *fake) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// step moves the clock by d and the counters by in and out (negative: set them to -in, -out,
// as a new transport would).
func (f *fake) step(d time.Duration, in, out int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	if in < 0 {
		f.in, f.out = uint64(-in), uint64(-out)
		return
	}
	f.in += uint64(in)
	f.out += uint64(out)
}

// start is a bucket boundary.
var start = time.UnixMilli(1_700_000_000_000)

func TestRing(t *testing.T) {
	type step struct {
		d       time.Duration
		in, out int64
	}
	for _, tc := range []struct {
		name  string
		steps []step
		// want: the last buckets, newest last, as in/out byte pairs
		want    [][2]uint64
		wantBps [2]float64 // the last complete bucket's rates
	}{
		{"steady", repeat(step{time.Second, 1000, 10}, 30), [][2]uint64{{0, 0}, {9000, 90}, {10000, 100}, {10000, 100}, {1000, 10}}, [2]float64{1000, 10}},
		{"what came before New is not counted", []step{{0, 5000, 5000}, {time.Second, 100, 100}}, [][2]uint64{{100, 100}}, [2]float64{}},
		{"a new transport counts from zero", []step{{time.Second, 5000, 500}, {time.Second, -200, -20}, {time.Second, 300, 30}}, [][2]uint64{{5500, 550}}, [2]float64{}},
		{"a gap leaves empty buckets", []step{{time.Second, 10, 1}, {25 * time.Second, 20, 2}}, [][2]uint64{{10, 1}, {0, 0}, {20, 2}}, [2]float64{}},
		{"ten minutes on, the old buckets are gone", []step{{time.Second, 10, 1}, {10 * time.Minute, 0, 0}}, [][2]uint64{{0, 0}, {0, 0}}, [2]float64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{now: start}
			var r *traffic.Ring
			for i, s := range tc.steps {
				if i == 0 && s.d == 0 {
					f.step(0, s.in, s.out)
					continue
				}
				if r == nil {
					r = traffic.New(f.sample, f.clock)
				}
				f.step(s.d, s.in, s.out)
				r.Tick()
			}
			snap := r.Snapshot()
			if snap.BucketS != 10 || len(snap.Buckets) != traffic.Buckets {
				t.Fatalf("%d buckets of %d s", len(snap.Buckets), snap.BucketS)
			}
			for i := 1; i < len(snap.Buckets); i++ {
				if snap.Buckets[i].AtMs-snap.Buckets[i-1].AtMs != 10_000 {
					t.Fatalf("buckets %d and %d are not 10 s apart", i-1, i)
				}
			}
			last := snap.Buckets[len(snap.Buckets)-len(tc.want):]
			for i, w := range tc.want {
				if last[i].InBytes != w[0] || last[i].OutBytes != w[1] {
					t.Errorf("bucket %d from the end: %d/%d, want %d/%d", len(tc.want)-i-1, last[i].InBytes, last[i].OutBytes, w[0], w[1])
				}
			}
			if tc.wantBps != [2]float64{} {
				b := snap.Buckets[len(snap.Buckets)-2]
				if b.InBps != tc.wantBps[0] || b.OutBps != tc.wantBps[1] {
					t.Errorf("rates %v/%v, want %v", b.InBps, b.OutBps, tc.wantBps)
				}
			}
			if end := snap.Buckets[len(snap.Buckets)-1].AtMs; end > f.clock().UnixMilli() || f.clock().UnixMilli()-end >= 10_000 {
				t.Errorf("the last bucket starts at %d, the clock is at %d", end, f.clock().UnixMilli())
			}
		})
	}
}

// The current bucket's rate is over the part that has passed: 1000 bytes 2 s into it is 500/s.
func TestCurrentBucketRate(t *testing.T) {
	f := &fake{now: start}
	r := traffic.New(f.sample, f.clock)
	f.step(2*time.Second, 1000, 0)
	b := r.Snapshot().Buckets[traffic.Buckets-1]
	if b.InBytes != 1000 || b.InBps != 500 {
		t.Fatalf("current bucket %+v", b)
	}
}

func TestRunSamplesUntilCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fake{now: start}
		r := traffic.New(f.sample, func() time.Time { return time.Now() })
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { r.Run(ctx, 0); close(done) }()
		for range 20 {
			f.step(0, 100, 100)
			time.Sleep(time.Second)
		}
		cancel()
		<-done
		var total uint64
		for _, b := range r.Snapshot().Buckets {
			total += b.InBytes
		}
		if total != 2000 {
			t.Fatalf("the ring counted %d bytes, want 2000", total)
		}
	})
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}
