package metrics

import (
	"sync/atomic"
	"time"
)

// commitBuckets are the upper bounds, in seconds, of meshhold_commit_seconds: from a commit on
// tmpfs (~100 µs) to a slow disk's syncfs.
var commitBuckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// histogram counts durations in commitBuckets, the last slot past the largest bound.
type histogram struct {
	counts   [len(commitBuckets) + 1]atomic.Uint64
	sumNanos atomic.Uint64
}

func (h *histogram) observe(d time.Duration) {
	d = max(d, 0)
	secs := d.Seconds()
	i := 0
	for i < len(commitBuckets) && secs > commitBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNanos.Add(uint64(d))
}

// read returns the count, the sum in seconds and the cumulative count per bound.
func (h *histogram) read() (count uint64, sum float64, buckets map[float64]uint64) {
	buckets = make(map[float64]uint64, len(commitBuckets))
	for i := range h.counts {
		count += h.counts[i].Load()
		if i < len(commitBuckets) {
			buckets[commitBuckets[i]] = count
		}
	}
	return count, time.Duration(h.sumNanos.Load()).Seconds(), buckets
}
