package files

import (
	"context"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// TestRoundTripMultiGiB streams a generated file (2 GiB, or MESHHOLD_BIG_GIB) up and down
// without ever holding it: its content repeats every 20 MiB, so the store keeps a few dozen
// blocks while both directions do all the work; both sides are hashed (keyed content hash).
func TestRoundTripMultiGiB(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-GiB round trip skipped with -short")
	}
	gib := int64(2)
	if v, err := strconv.ParseInt(os.Getenv("MESHHOLD_BIG_GIB"), 10, 64); err == nil && v > 0 {
		gib = v
	}
	size := gib<<30 + 12345 // not a block multiple
	const period = 320      // segments of 64 KiB: 20 MiB, five distinct 4 MiB blocks
	store := newMemStore()
	up, err := Ingest(context.Background(), &gen{seed: 5, size: size, period: period},
		IngestConfig{Key: testKey, Store: store, Limit: MaxUploadSize})
	if err != nil {
		t.Fatal(err)
	}
	m := up.Manifest
	if m.Size != size || store.count() > 200 {
		t.Fatalf("size %d, %d blocks stored", m.Size, store.count())
	}
	want := vaultcrypt.NewContentMAC(testKey)
	if _, err := io.Copy(want, &gen{seed: 5, size: size, period: period}); err != nil {
		t.Fatal(err)
	}
	if [32]byte(want.Sum(nil)) != m.ContentHash {
		t.Fatal("content hash differs from the generator's")
	}
	rd, err := NewReader(context.Background(), store, m)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	got := vaultcrypt.NewContentMAC(testKey)
	if n, err := io.Copy(got, rd); err != nil || n != size {
		t.Fatalf("read back %d bytes: %v", n, err)
	}
	if string(got.Sum(nil)) != string(want.Sum(nil)) {
		t.Fatal("bytes read back differ")
	}
}
