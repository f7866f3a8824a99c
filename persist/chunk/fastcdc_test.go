package chunk

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"
)

// A small FastCDC (Xia et al., 2016: gear hash, normalized chunking, cut-point skipping) kept
// only to measure the choice of fixed-size blocks against content-defined ones: it is not used
// by the daemon. Sizes comparable to ours: min 256 KiB, average 1 MiB, max 4 MiB.
const (
	cdcMin = 256 << 10
	cdcAvg = 1 << 20
	cdcMax = 4 << 20
	maskS  = uint64(1<<22-1) << (64 - 22) // harder before the average (22 bits)
	maskL  = uint64(1<<18-1) << (64 - 18) // easier after it (18 bits)
)

var gear = func() (g [256]uint64) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range g {
		g[i] = r.Uint64()
	}
	return g
}()

// cdcCut returns the length of the first chunk of data.
func cdcCut(data []byte) int {
	n := len(data)
	if n <= cdcMin {
		return n
	}
	n = min(n, cdcMax)
	var h uint64
	i := cdcMin
	for ; i < min(n, cdcAvg); i++ {
		h = h<<1 + gear[data[i]]
		if h&maskS == 0 {
			return i + 1
		}
	}
	for ; i < n; i++ {
		h = h<<1 + gear[data[i]]
		if h&maskL == 0 {
			return i + 1
		}
	}
	return n
}

// cdcLengths cuts data with FastCDC.
func cdcLengths(data []byte) []int {
	var out []int
	for len(data) > 0 {
		c := cdcCut(data)
		out = append(out, c)
		data = data[c:]
	}
	return out
}

// fixedLengths cuts data with the rule in use.
func fixedLengths(data []byte) []int {
	var out []int
	for _, b := range Bounds(int64(len(data))) {
		out = append(out, int(b[1]-b[0]))
	}
	return out
}

func random(seed uint64, n int) []byte {
	var k [16]byte
	binary.LittleEndian.PutUint64(k[:], seed)
	blk, _ := aes.NewCipher(k[:])
	out := make([]byte, n)
	cipher.NewCTR(blk, make([]byte, 16)).XORKeyStream(out, out)
	return out
}

// reuse is the share of v2's bytes held in chunks already stored for v1.
func reuse(cut func([]byte) []int, v1, v2 []byte) float64 {
	have := map[[32]byte]bool{}
	for _, c := range cut(v1) {
		have[sha256.Sum256(v1[:c])] = true
		v1 = v1[c:]
	}
	var kept, total int
	for _, c := range cut(v2) {
		if have[sha256.Sum256(v2[:c])] {
			kept += c
		}
		total += c
		v2 = v2[c:]
	}
	return float64(kept) / float64(total)
}

// BenchmarkChunkingChoice measures, in one run, what content-defined chunking would buy over
// the fixed rule: the share of a new version's bytes already stored after (a) appending to a
// file, (b) three 100-byte insertions in a 128 MiB file (an identical re-upload is 100 % for
// both); and the
// chunker's own speed (FastCDC's gear loop is an extra serial pass over every byte).
func BenchmarkChunkingChoice(b *testing.B) {
	const size = 128 << 20
	v1 := random(1, size)
	appended := append(append([]byte(nil), v1...), random(2, 10<<20)...)
	r := rand.New(rand.NewPCG(3, 4))
	inserted := append([]byte(nil), v1...)
	for range 3 {
		at := r.IntN(len(inserted))
		inserted = append(inserted[:at], append(random(uint64(at), 100), inserted[at:]...)...)
	}
	for b.Loop() {
		for _, c := range []struct {
			name string
			cut  func([]byte) []int
		}{{"fixed", fixedLengths}, {"fastcdc", cdcLengths}} {
			b.ReportMetric(100*reuse(c.cut, v1, appended), c.name+"-append-%reused")
			b.ReportMetric(100*reuse(c.cut, v1, inserted), c.name+"-insert-%reused")
		}
		t0 := time.Now()
		n := 0
		for rest := v1; len(rest) > 0; n++ {
			rest = rest[cdcCut(rest):]
		}
		b.ReportMetric(size/time.Since(t0).Seconds()/1e9, "fastcdc-cut-GB/s")
		b.ReportMetric(float64(size)/float64(n)/(1<<20), "fastcdc-avg-MiB")
	}
	b.ReportMetric(0, "ns/op")
}
