package node_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// BenchmarkGroupCommit measures acknowledged actor writes per second through the whole
// pipeline (host → committer → bbolt with fsync → reply) with 64 concurrent clients, and in the
// same run the anchors: a raw write+fsync loop on the same disk, and bbolt with one write per
// transaction. Ratios > 1 mean the pipeline beats one fsync per message.
func BenchmarkGroupCommit(b *testing.B) {
	for _, entities := range []int{1, 64} {
		b.Run(fmt.Sprintf("entities=%d", entities), func(b *testing.B) {
			fsyncs := rawFsyncRate(b, time.Second)
			boltTx := boltTxRate(b, time.Second)
			r := newRig(b, 0)
			defer r.stop()
			const clients = 64
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func(c int) {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, err := r.ask(fmt.Sprint(c%entities), incr{By: 1}); err != nil {
							b.Error(err)
							return
						}
					}
				}(c)
			}
			wg.Wait()
			took := time.Since(start)
			b.StopTimer()
			rate := float64(b.N) / took.Seconds()
			b.ReportMetric(rate, "writes/s")
			b.ReportMetric(float64(b.N)/float64(max(len(r.commitStats()), 1)), "writes/commit")
			b.ReportMetric(fsyncs, "fsync-loop/s")
			b.ReportMetric(boltTx, "bbolt-1-per-tx/s")
			b.ReportMetric(rate/fsyncs, "x-fsync-loop")
		})
	}
}

// rawFsyncRate is the anchor: 8-byte write + fsync in a loop, per second, for about d.
func rawFsyncRate(b *testing.B, d time.Duration) float64 {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync-anchor"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	n, start := 0, time.Now()
	for time.Since(start) < d {
		if _, err := f.WriteAt([]byte("8 bytes!"), int64(n%512)*8); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}

// boltTxRate is the naive store anchor: one put per bbolt transaction, per second, for about d.
func boltTxRate(b *testing.B, d time.Duration) float64 {
	s, err := boltdb.Open(filepath.Join(b.TempDir(), boltdb.FileName), boltdb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	n, start := 0, time.Now()
	for time.Since(start) < d {
		if err := s.Commit([]persist.Write{{Bucket: persist.Meta, Key: fmt.Sprint(n % 64), Value: []byte("v")}}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}
