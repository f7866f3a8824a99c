package files

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/blockstore"
	"github.com/meshhold/meshhold/persist/chunk"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// Every size around both block sizes round-trips, cut by the chunk rule, with both hashes.
// Content is generated and compared by hash on the fly: nothing file-sized is held.
func TestRoundTripSizes(t *testing.T) {
	const S, L, span = chunk.Small, chunk.Large, chunk.SmallSpan
	sizes := []int64{0, 1, S - 1, S, S + 1, 2*S - 1, 2 * S, 2*S + 1,
		span - 1, span, span + 1, span + L - 1, span + L, span + L + 1, span + 2*L + 1}
	if testing.Short() {
		sizes = sizes[:8]
	}
	disk, err := blockstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range sizes {
		var store persist.BlockStore = newMemStore()
		if size > 4*S {
			store = disk // large files live in the page cache, not the heap
		}
		m := ingest(t, store, &gen{seed: uint64(size), size: size})
		mac, sum := vaultcrypt.NewContentMAC(testKey), md5.New()
		io.Copy(io.MultiWriter(mac, sum), &gen{seed: uint64(size), size: size})
		if m.Size != size || m.ContentHash != [32]byte(mac.Sum(nil)) || m.MD5 != [16]byte(sum.Sum(nil)) {
			t.Fatalf("size %d: manifest size %d or hashes wrong", size, m.Size)
		}
		bounds := chunk.Bounds(size)
		if len(m.Blocks) != len(bounds) {
			t.Fatalf("size %d: %d blocks, rule says %d", size, len(m.Blocks), len(bounds))
		}
		for i, b := range m.Blocks {
			if int64(b.Size) != bounds[i][1]-bounds[i][0] {
				t.Fatalf("size %d block %d: %d bytes, rule says %v", size, i, b.Size, bounds[i])
			}
		}
		rd, err := NewReader(context.Background(), store, m)
		if err != nil {
			t.Fatal(err)
		}
		back := vaultcrypt.NewContentMAC(testKey)
		if n, err := io.Copy(back, rd); err != nil || n != size || [32]byte(back.Sum(nil)) != m.ContentHash {
			t.Fatalf("size %d: read back %d bytes (%v), differing", size, n, err)
		}
		rd.Close()
	}
}

// Uploading the same content twice writes no new block file; within one file, repeated
// blocks are stored once.
func TestDedup(t *testing.T) {
	root := t.TempDir()
	store, err := blockstore.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	// 4 identical 512 KiB blocks, then 3 distinct ones.
	block := bytesOf(7, chunk.Small)
	data := append(bytes.Repeat(block, 4), bytesOf(8, 3*chunk.Small)...)
	m1 := ingest(t, store, bytes.NewReader(data))
	files := countFiles(t, root)
	if files != 4 {
		t.Fatalf("%d block files for 4 distinct blocks", files)
	}
	pins := blockgc.NewPins()
	up, err := Ingest(context.Background(), bytes.NewReader(data), IngestConfig{Key: testKey, Store: store, Pins: pins, Limit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if countFiles(t, root) != files || len(up.Written) != 0 {
		t.Fatalf("second upload wrote %d blocks", len(up.Written))
	}
	if up.Manifest.ContentHash != m1.ContentHash || len(up.Manifest.Blocks) != len(m1.Blocks) {
		t.Fatal("same content, different manifest")
	}
	if pins.Len() != 4 {
		t.Fatalf("%d addresses pinned during the upload, want 4", pins.Len())
	}
	up.Done()
	if pins.Len() != 0 {
		t.Fatal("pins left after Done")
	}
	// Another vault's key stores the same bytes apart.
	if _, err := Ingest(context.Background(), bytes.NewReader(data), IngestConfig{Key: messages.VaultKey{9}, Store: store, Pins: pins, Limit: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	if countFiles(t, root) != 2*files {
		t.Fatal("two vaults share block files")
	}
}

func countFiles(t *testing.T, root string) int {
	n := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(filepath.Dir(p)) != "tmp" {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A body past the limit is cut: TooLargeError, nothing pinned, the written blocks reclaimed.
func TestQuotaCut(t *testing.T) {
	root := t.TempDir()
	store, _ := blockstore.Open(root)
	pins, cat := blockgc.NewPins(), blockgc.NewMemCatalog()
	gc, err := blockgc.New(store, pins, cat, blockgc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	const limit = 3*chunk.Small + 100
	for _, size := range []int64{limit + 1, 10 * chunk.Small} {
		up, err := Ingest(context.Background(), &gen{seed: 1, size: size}, IngestConfig{Key: testKey, Store: store, Pins: pins, Limit: limit, Reclaim: gc})
		var tl *TooLargeError
		if !errors.As(err, &tl) || !errors.Is(err, ErrTooLarge) || up != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if tl.Limit != limit || tl.Read != limit+1 {
			t.Fatalf("size %d: %+v", size, tl)
		}
		if pins.Len() != 0 || countFiles(t, root) != 0 {
			t.Fatalf("size %d: %d pinned, %d block files left", size, pins.Len(), countFiles(t, root))
		}
	}
	// Exactly at the limit is fine.
	up, err := Ingest(context.Background(), &gen{seed: 1, size: limit}, IngestConfig{Key: testKey, Store: store, Pins: pins, Limit: limit, Reclaim: gc})
	if err != nil || up.Manifest.Size != limit {
		t.Fatalf("at the limit: %v", err)
	}
	up.Done()
	// A zero budget still takes an empty file.
	if up, err := Ingest(context.Background(), bytes.NewReader(nil), IngestConfig{Key: testKey, Store: store, Limit: 0}); err != nil || up.Manifest.Size != 0 || len(up.Manifest.Blocks) != 0 {
		t.Fatalf("empty file at zero budget: %v", err)
	}
}

type brokenBody struct{ n int }

func (b *brokenBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.ErrClosedPipe
	}
	c := min(len(p), b.n)
	b.n -= c
	return c, nil
}

// A body that breaks, or a cancelled request, fails the upload and releases everything.
func TestIngestFailures(t *testing.T) {
	store, pins := newMemStore(), blockgc.NewPins()
	_, err := Ingest(context.Background(), &brokenBody{n: 3 * chunk.Small}, IngestConfig{Key: testKey, Store: store, Pins: pins, Limit: 1 << 30})
	if !errors.Is(err, io.ErrClosedPipe) || pins.Len() != 0 {
		t.Fatalf("broken body: %v, %d pinned", err, pins.Len())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Ingest(ctx, &gen{size: 8 * chunk.Small}, IngestConfig{Key: testKey, Store: store, Pins: pins, Limit: 1 << 30})
	if !errors.Is(err, context.Canceled) || pins.Len() != 0 {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := Ingest(context.Background(), bytes.NewReader(nil), IngestConfig{Key: testKey, Store: store, Limit: -1}); err == nil {
		t.Fatal("negative limit accepted")
	}
}

// putFails is a store whose disk is full.
type putFails struct{ *memStore }

func (putFails) Put(persist.Address, []byte) error { return errors.New("disk full") }

func TestIngestStoreFailure(t *testing.T) {
	pins := blockgc.NewPins()
	_, err := Ingest(context.Background(), &gen{size: 5 * chunk.Small}, IngestConfig{Key: testKey, Store: putFails{newMemStore()}, Pins: pins, Limit: 1 << 30})
	if err == nil || pins.Len() != 0 {
		t.Fatalf("store failure: %v, %d pinned", err, pins.Len())
	}
}

// A block file a crash left short (or damaged) at its address is not taken as a dedup match:
// the upload writes it again, so the new version never points at a broken block.
func TestDamagedBlockIsRewrittenNotMatched(t *testing.T) {
	for name, damage := range map[string]func([]byte) []byte{
		"short":   func(ct []byte) []byte { return ct[:len(ct)/2] },
		"flipped": func(ct []byte) []byte { c := bytes.Clone(ct); c[len(c)/2] ^= 1; return c },
	} {
		t.Run(name, func(t *testing.T) {
			store, err := blockstore.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			data := bytesOf(3, 1000)
			ct, ref := vaultcrypt.SealBlock(testKey, data)
			if err := os.MkdirAll(filepath.Dir(blockPath(store, ref.Addr)), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(blockPath(store, ref.Addr), damage(ct), 0o600); err != nil {
				t.Fatal(err)
			}
			m := ingest(t, store, bytes.NewReader(data))
			if err := CheckBlocks(store, m); err != nil {
				t.Fatalf("after the upload the block is still broken: %v", err)
			}
			if got, err := store.Get(persist.Address(m.Blocks[0].Addr)); err != nil || !bytes.Equal(got, ct) {
				t.Fatalf("block read back: %v", err)
			}
		})
	}
}

// blockPath is where the block store keeps a (its fan-out layout).
func blockPath(s *blockstore.Store, a messages.BlockAddr) string {
	h := persist.Address(a).String()
	return filepath.Join(s.Root(), h[:2], h[2:4], h)
}
