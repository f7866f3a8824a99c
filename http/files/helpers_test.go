package files

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockgc"
)

// memStore is an in-memory persist.BlockStore that verifies like the real one and counts Puts.
type memStore struct {
	mu     sync.Mutex
	blocks map[persist.Address][]byte
	puts   int
}

func newMemStore() *memStore { return &memStore{blocks: map[persist.Address][]byte{}} }

func (m *memStore) Put(a persist.Address, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.blocks[a]; !ok {
		m.blocks[a] = bytes.Clone(data)
		m.puts++
	}
	return nil
}

func (m *memStore) Get(a persist.Address) ([]byte, error) {
	m.mu.Lock()
	data, ok := m.blocks[a]
	m.mu.Unlock()
	if !ok || len(data) == 0 || persist.AddressOf(data) != a {
		return nil, fmt.Errorf("block %s: %w", a, persist.ErrBlockMissing)
	}
	return bytes.Clone(data), nil
}

func (m *memStore) Has(a persist.Address) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.blocks[a]) > 0, nil
}

func (m *memStore) Delete(a persist.Address) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blocks, a)
	return nil
}

func (m *memStore) Sync() error { return nil }

func (m *memStore) set(a messages.BlockAddr, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blocks[persist.Address(a)] = data
}

func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.blocks)
}

// gen is deterministic pseudo-random content readable at any offset: 64 KiB segments, each
// an AES-CTR keystream under the seed with the segment number (mod period) as IV. With a
// period, content repeats every period segments (so large generated files dedup to a few
// blocks). Several GB/s, so it never limits what it feeds.
type gen struct {
	seed   uint64
	size   int64
	period int64 // 0: never repeats
	off    int64
	block  cipher.Block
	seg    []byte // the segment cached
	segN   int64
}

const segSize = 64 << 10

var zeros [segSize]byte

func (g *gen) segment(n int64, dst []byte) {
	if g.block == nil {
		var k [16]byte
		binary.LittleEndian.PutUint64(k[:], g.seed)
		g.block, _ = aes.NewCipher(k[:])
	}
	if g.period > 0 {
		n %= g.period
	}
	var iv [16]byte
	binary.BigEndian.PutUint64(iv[:8], uint64(n))
	cipher.NewCTR(g.block, iv[:]).XORKeyStream(dst, zeros[:len(dst)])
}

func (g *gen) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	total := 0
	for len(p) > 0 && g.off < g.size {
		n, in := g.off/segSize, g.off%segSize
		if g.seg == nil || g.segN != n {
			if g.seg == nil {
				g.seg = make([]byte, segSize)
			}
			g.segment(n, g.seg)
			g.segN = n
		}
		c := copy(p, g.seg[in:min(int64(segSize), g.size-n*segSize)])
		p, total, g.off = p[c:], total+c, g.off+int64(c)
	}
	return total, nil
}

// bytesOf materialises a small generated file.
func bytesOf(seed uint64, size int64) []byte {
	out, _ := io.ReadAll(&gen{seed: seed, size: size})
	return out
}

var testKey = messages.VaultKey{1, 2, 3, 4, 5, 6, 7, 8}

// ingest uploads data with no limit into store and ends the upload as committed.
func ingest(t testing.TB, store persist.BlockStore, body io.Reader) messages.Manifest {
	t.Helper()
	up, err := Ingest(context.Background(), body, IngestConfig{Key: testKey, Store: store, Pins: blockgc.NewPins(), Limit: MaxUploadSize})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckBlocks(store, up.Manifest); err != nil {
		t.Fatal(err)
	}
	up.Done()
	return up.Manifest
}

// readAll reads a version back through a Reader.
func readAll(t testing.TB, store persist.BlockStore, m messages.Manifest) []byte {
	t.Helper()
	rd, err := NewReader(context.Background(), store, m)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var out bytes.Buffer
	if _, err := io.Copy(&out, rd); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// hkdfKey is HKDF-SHA256(secret, no salt, info), 32 bytes.
func hkdfKey(secret []byte, info string) ([]byte, error) {
	return hkdf.Key(sha256.New, secret, nil, info, 32)
}
