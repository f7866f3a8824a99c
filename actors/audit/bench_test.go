package audit_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/actors/auth"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// BenchmarkAuditedMutations measures audited admin mutations per second through the real
// pipeline (auth actor → committer → bbolt with fsync → reply) with 64 concurrent clients, each
// creating an API token and revoking it (token_created, token_revoked: both audited), with the
// audit ring off and on in the same run: one node each, in alternating rounds (who goes first
// rotates) so drift of the shared disk hits all alike; the ratios are the median of the
// per-round ratios. "wrapping" is a full ring of 1,000 records, so every commit also prunes.
// Target: on/off ≥ 0.9.
func BenchmarkAuditedMutations(b *testing.B) {
	modes := []struct {
		name string
		cfg  audit.Config
	}{
		{"off", audit.Config{Enabled: false}},
		{"on", audit.Defaults()},
		{"wrapping", audit.Config{Enabled: true, MaxRecords: 1000}},
	}
	nodes := make([]*nodeRig, len(modes))
	for i, m := range modes {
		nodes[i] = startNode(b, filepath.Join(b.TempDir(), boltdb.FileName), m.cfg, boltdb.Options{})
		defer nodes[i].stop()
		if m.name == "wrapping" {
			mutate(b, nodes[i], 1000, "warm") // fill the ring first
		}
	}
	const rounds = 11
	took := make([]time.Duration, len(modes))
	done := make([]int, len(modes))
	ratios := make([][]float64, len(modes))
	per := max(b.N/rounds, 64)
	b.ResetTimer()
	for round := range rounds {
		rates := make([]float64, len(modes))
		for j := range modes {
			i := (j + round) % len(modes) // rotate who goes first
			d := mutate(b, nodes[i], per, fmt.Sprint("r", round))
			took[i] += d
			done[i] += 2 * per
			rates[i] = float64(2*per) / d.Seconds()
		}
		for i := range modes {
			ratios[i] = append(ratios[i], rates[i]/rates[0])
		}
	}
	b.StopTimer()
	for i, m := range modes {
		b.ReportMetric(float64(done[i])/took[i].Seconds(), m.name+"-mutations/s")
	}
	b.ReportMetric(median(ratios[1]), "x-on/off")
	b.ReportMetric(median(ratios[2]), "x-wrapping/off")
}

// median of the per-round ratios: one noisy round of the shared disk does not swing it.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// mutate runs ops create+revoke pairs from 64 clients and returns how long they took.
func mutate(b *testing.B, n *nodeRig, ops int, prefix string) time.Duration {
	const clients = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(ops); i = next.Add(1) {
				id := fmt.Sprintf("%s-%d-%d", prefix, c, i)
				_, hash := auth.Mint(auth.TokenPrefix)
				if _, err := ask[messages.TokenInfo](n, messages.CreateToken{ID: id, Name: id, Hash: hash}); err != nil {
					b.Error(err)
					return
				}
				if _, err := ask[messages.TokenRevoked](n, messages.RevokeToken{ID: id}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}
