package files

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockstore"
	"github.com/meshhold/meshhold/persist/chunk"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// boundaryOffsets lists every block boundary of a size, ±1, and the ends.
func boundaryOffsets(size int64) []int64 {
	var out []int64
	for _, b := range chunk.Bounds(size) {
		for _, o := range []int64{b[0] - 1, b[0], b[0] + 1, b[1] - 1} {
			if o >= 0 && o <= size {
				out = append(out, o)
			}
		}
	}
	return append(out, size)
}

// Reads starting and ending at every boundary ±1 match the plaintext, through the
// allocating (Get, in memory) and the buffer-reusing (ReadBlock, on disk) store paths.
// The reference is the generator itself, read at the same offsets.
func TestReaderRangesAtEveryBoundary(t *testing.T) {
	disk, err := blockstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	big := int64(chunk.SmallSpan + 2*chunk.Large + 3)
	if testing.Short() {
		big = 9*chunk.Small + 3
	}
	for name, c := range map[string]struct {
		store persist.BlockStore
		size  int64
	}{"mem": {newMemStore(), 5*chunk.Small + 3}, "disk": {disk, big}} {
		size := c.size
		m := ingest(t, c.store, &gen{seed: 3, size: size})
		rd, err := NewReader(context.Background(), c.store, m)
		if err != nil {
			t.Fatal(err)
		}
		offs := boundaryOffsets(size)
		buf, want := make([]byte, chunk.Large+2), make([]byte, chunk.Large+2)
		for i, start := range offs {
			// each start against a few ends: itself, one byte, the next boundaries
			for _, end := range []int64{start, start + 1, offs[min(i+1, len(offs)-1)], offs[min(i+4, len(offs)-1)]} {
				if end < start || end > size || end-start > int64(len(buf)) {
					continue
				}
				if _, err := rd.Seek(start, io.SeekStart); err != nil {
					t.Fatal(err)
				}
				got := buf[:end-start]
				if _, err := io.ReadFull(rd, got); err != nil {
					t.Fatalf("%s [%d,%d): %v", name, start, end, err)
				}
				ref := &gen{seed: 3, size: size, off: start}
				io.ReadFull(ref, want[:end-start])
				if !bytes.Equal(got, want[:end-start]) {
					t.Fatalf("%s [%d,%d): wrong bytes", name, start, end)
				}
			}
		}
		if _, err := rd.Seek(size, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if n, err := rd.Read(buf); n != 0 || err != io.EOF {
			t.Fatalf("%s at the end: %d %v", name, n, err)
		}
		if pos, _ := rd.Seek(-10, io.SeekEnd); pos != size-10 {
			t.Fatalf("SeekEnd: %d", pos)
		}
		if _, err := rd.Seek(-1, io.SeekStart); err == nil {
			t.Fatal("negative seek accepted")
		}
		rd.Close()
		if _, err := rd.Read(buf); !errors.Is(err, ErrClosed) {
			t.Fatalf("read after close: %v", err)
		}
	}
}

// A missing, empty, flipped or wrongly keyed block is an error at that block: every byte
// before it is right, no byte of it or after it is served.
func TestReaderBadBlocks(t *testing.T) {
	data := bytesOf(4, 4*chunk.Small+10)
	for _, damage := range []string{"missing", "empty", "flipped", "foreign"} {
		store := newMemStore()
		m := ingest(t, store, bytes.NewReader(data))
		bad := m.Blocks[2]
		switch damage {
		case "missing":
			store.Delete(persist.Address(bad.Addr))
		case "empty":
			store.set(bad.Addr, []byte{})
		case "flipped":
			b, _ := store.Get(persist.Address(bad.Addr))
			b[100] ^= 1
			store.set(bad.Addr, b)
		case "foreign": // bytes that match the address but not the secret
			ct, ref := vaultcrypt.SealBlock(testKey, bytesOf(5, int64(bad.Size)))
			store.set(ref.Addr, ct)
			m.Blocks[2].Addr = ref.Addr
		}
		rd, _ := NewReader(context.Background(), store, m)
		var out bytes.Buffer
		_, err := io.Copy(&out, rd)
		if err == nil {
			t.Fatalf("%s block: no error", damage)
		}
		if !errors.Is(err, persist.ErrBlockMissing) && !errors.Is(err, vaultcrypt.ErrCorrupt) {
			t.Fatalf("%s block: %v", damage, err)
		}
		if out.Len() != 2*chunk.Small || !bytes.Equal(out.Bytes(), data[:out.Len()]) {
			t.Fatalf("%s block: %d bytes served before the error", damage, out.Len())
		}
		rd.Close()
	}
}

func TestReaderRejectsInconsistentManifest(t *testing.T) {
	store := newMemStore()
	m := ingest(t, store, bytes.NewReader(bytesOf(1, 1000)))
	m.Size++
	if _, err := NewReader(context.Background(), store, m); err == nil {
		t.Fatal("size mismatch accepted")
	}
	if err := CheckBlocks(store, m); err == nil {
		t.Fatal("CheckBlocks accepted a size mismatch")
	}
	m.Size--
	store.Delete(persist.Address(m.Blocks[0].Addr))
	if err := CheckBlocks(store, m); !errors.Is(err, persist.ErrBlockMissing) {
		t.Fatalf("CheckBlocks with a block gone: %v", err)
	}
}
