package scenarios

import (
	"strings"
	"testing"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memblocks"
	"github.com/meshhold/meshhold/persist/memstore"
	"github.com/meshhold/meshhold/simulations/sim"
)

// A pull that applies records whose blocks did not arrive — the bug blocks-before-records
// prevents — is caught within a few seeds: a node holds a version without its bytes.
func TestVaultSyncCatchesRecordsBeforeBlocks(t *testing.T) {
	planted := sim.Scenario{Name: "vault-sync-planted", Test: "TestVaultSyncCatchesRecordsBeforeBlocks",
		Play: func(r *sim.Run) error { return playSync(r, true) }}
	for seed := uint64(1); seed <= 20; seed++ {
		out := sim.Play(t, planted, seed, false)
		if out.Err == nil {
			continue
		}
		if !strings.Contains(out.Err.Error(), "is not intact") && !strings.Contains(out.Err.Error(), "without its bytes") {
			t.Fatalf("seed %d failed, but not for the planted bug: %v", seed, out.Err)
		}
		t.Logf("caught at seed %d, as it should be: %v", seed, out.Err)
		return
	}
	t.Fatal("20 seeds applied records without their blocks and no check noticed")
}

// The untrusted node's check finds the content marker in a block stored in the clear and a
// path name in a record, and passes sealed blocks.
func TestNoPlaintextOnTheUntrustedNode(t *testing.T) {
	s := sealContent(vaultKey, syncMarker+"body of "+simPath(1), 32)
	store, blocks := memstore.New(), memblocks.New()
	for i, ref := range s.manifest.Blocks {
		if err := blocks.Put(persist.Address(ref.Addr), s.blocks[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := noPlaintext(store, blocks); err != nil {
		t.Fatalf("sealed blocks flagged: %v", err)
	}
	plain := []byte(syncMarker + " in the clear")
	if err := blocks.Put(persist.AddressOf(plain), plain); err != nil {
		t.Fatal(err)
	}
	if err := noPlaintext(store, blocks); err == nil || !strings.Contains(err.Error(), "content marker") {
		t.Fatalf("a plaintext block went unnoticed: %v", err)
	}
	if err := store.Commit([]persist.Write{{Bucket: persist.Catalog, Key: "vault/v1/x", Value: []byte("at " + simPath(2))}}); err != nil {
		t.Fatal(err)
	}
	if err := noPlaintext(store, memblocks.New()); err == nil || !strings.Contains(err.Error(), simPath(2)) {
		t.Fatalf("a path name in a record went unnoticed: %v", err)
	}
}

// A version with one complete copy fails RF 2, naming it, its path and its only holder; a node
// holding its record without a block fails the intact check, naming the node and the block.
func TestReplicaChecksNameTheVersionAndNodes(t *testing.T) {
	v := messages.VersionAddr{0xab, 0xcd}
	rep := syncReplicas{addrs: []messages.VersionAddr{v}, path: map[messages.VersionAddr]string{v: simPath(3)},
		full:   map[messages.VersionAddr][]string{v: {"a"}},
		broken: map[messages.VersionAddr][]string{v: {"u: block 0102: persist: block missing or corrupt"}}}
	err := rep.twoCopies()
	if err == nil || !strings.Contains(err.Error(), "abcd") || !strings.Contains(err.Error(), simPath(3)) || !strings.Contains(err.Error(), "[a]") {
		t.Fatalf("twoCopies: %v", err)
	}
	if err := rep.intact(); err == nil || !strings.Contains(err.Error(), "u: block 0102") {
		t.Fatalf("intact: %v", err)
	}
	rep.full[v], rep.broken[v] = []string{"a", "b"}, nil
	if err := rep.twoCopies(); err != nil {
		t.Fatalf("two copies refused: %v", err)
	}
	if err := rep.intact(); err != nil {
		t.Fatalf("intact copies refused: %v", err)
	}
}
