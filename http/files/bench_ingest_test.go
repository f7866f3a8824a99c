package files

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/chunk"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// nullStore keeps nothing: the benchmark measures the pipeline, not the disk.
type nullStore struct{}

func (nullStore) Put(persist.Address, []byte) error   { return nil }
func (nullStore) Get(persist.Address) ([]byte, error) { return nil, persist.ErrBlockMissing }
func (nullStore) Has(persist.Address) (bool, error)   { return false, nil }
func (nullStore) Delete(persist.Address) error        { return nil }
func (nullStore) Sync() error                         { return nil }

// repeatReader serves size bytes cut from one random buffer (a memcpy, so nearly free).
type repeatReader struct {
	buf  []byte
	left int64
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.left)]
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.buf[r.off:])
		n += c
		r.off = (r.off + c) % len(r.buf)
	}
	r.left -= int64(n)
	return n, nil
}

// primitivesBackToBack does on one goroutine exactly the cryptography Ingest does per byte:
// per block the convergent secret, key and nonce derivation, AES-GCM and the address; over
// the whole stream the keyed content hash and MD5.
func primitivesBackToBack(src io.Reader) {
	kb, _ := hkdfBlockKey()
	mac := hmac.New(sha256.New, kb)
	content, sum := vaultcrypt.NewContentMAC(testKey), md5.New()
	pt := make([]byte, chunk.Large)
	ct := make([]byte, 0, chunk.Large+16)
	var off int64
	for {
		want := chunk.SizeAt(off)
		n, err := io.ReadFull(src, pt[:want])
		if n > 0 {
			b := pt[:n]
			mac.Reset()
			mac.Write(b)
			s := mac.Sum(nil)
			k := sha256.Sum256(append([]byte("meshhold/block/key"), s...))
			nonce := sha256.Sum256(append([]byte("meshhold/block/nonce"), s...))
			blk, _ := aes.NewCipher(k[:])
			g, _ := cipher.NewGCM(blk)
			_ = sha256.Sum256(g.Seal(ct[:0], nonce[:12], b, nil))
			content.Write(b)
			sum.Write(b)
			off += int64(n)
		}
		if err != nil {
			return
		}
	}
}

// hkdfBlockKey is the block subkey, recomputed from the documented formula.
func hkdfBlockKey() ([]byte, error) { return hkdfKey(testKey[:], "meshhold/block") }

// BenchmarkIngestPipeline runs Ingest (chunker → N sealing workers → store, hashers beside)
// into a null store on 1 and then 2 cores, and the same cryptography back to back on one
// goroutine, in one run: it reports each rate, Ingest on 1 core against the primitives
// (target ≥ 0.9×) and the 2-core speed-up (target ≥ 1.7×). 512 MiB per measurement.
//
//	go test ./http/files -run '^$' -bench IngestPipeline -benchtime 1x
func BenchmarkIngestPipeline(b *testing.B) {
	const size = 512 << 20
	src := make([]byte, 8<<20+17)
	(&gen{seed: 1, size: int64(len(src))}).Read(src)
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	measure := func(f func(io.Reader)) float64 {
		best := 0.0
		for range 2 {
			t0 := time.Now()
			f(&repeatReader{buf: src, left: size})
			best = max(best, size/time.Since(t0).Seconds()/1e9)
		}
		return best
	}
	ingestOn := func(procs int) float64 {
		runtime.GOMAXPROCS(procs)
		return measure(func(r io.Reader) {
			if _, err := Ingest(context.Background(), r, IngestConfig{Key: testKey, Store: nullStore{}, Limit: MaxUploadSize}); err != nil {
				b.Fatal(err)
			}
		})
	}
	for b.Loop() {
		runtime.GOMAXPROCS(1)
		prim := measure(primitivesBackToBack)
		one := ingestOn(1)
		two := ingestOn(2)
		b.ReportMetric(prim, "primitives-GB/s")
		b.ReportMetric(one, "ingest-1cpu-GB/s")
		b.ReportMetric(two, "ingest-2cpu-GB/s")
		b.ReportMetric(one/prim, "x-primitives")
		b.ReportMetric(two/one, "x-speedup")
		fmt.Printf("ingest: primitives %.2f GB/s, 1 core %.2f GB/s (%.2f×), 2 cores %.2f GB/s (%.2f× speed-up)\n",
			prim, one, one/prim, two, two/one)
	}
	b.ReportMetric(0, "ns/op")
}
