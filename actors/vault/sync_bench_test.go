package vault_test

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// boltVault runs the registry and vault v1 over a bbolt store (no fsync), as the host would:
// snapshot, step, commit.
type boltVault struct {
	b     *testing.B
	store *boltdb.Store
	core  host.Core
	now   time.Time
}

func newBoltVault(b *testing.B) *boltVault {
	store, err := boltdb.Open(filepath.Join(b.TempDir(), boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	bv := &boltVault{b: b, store: store, now: time.UnixMilli(1_700_000_000_000)}
	reg, _ := vault.LoadRegistry("", nil)
	bv.core = reg
	bv.step(messages.CreateVault{ID: vaultID, Name: "Photos", SealedKey: seal(messages.VaultKeyPurpose(vaultID), testKey[:]),
		Policy: messages.VaultPolicy{KeepVersions: 100}})
	snap, _ := store.Snapshot()
	bv.core, err = vault.Load(vault.Deps{Unseal: unseal, NodeID: nodeID})(messages.VaultKind+"/"+vaultID, snap)
	snap.Release()
	if err != nil {
		b.Fatal(err)
	}
	return bv
}

// step runs one message and commits its writes; it returns the reply and the commit's time.
func (bv *boltVault) step(msg any) (any, time.Duration) {
	snap, err := bv.store.Snapshot()
	if err != nil {
		bv.b.Fatal(err)
	}
	out := bv.core.Step(bv.now, msg, snap)
	snap.Release()
	if err, ok := out.Reply.(error); ok {
		bv.b.Fatalf("%T: %v", msg, err)
	}
	if len(out.Writes) == 0 { // the host commits nothing for a step that writes nothing
		return out.Reply, 0
	}
	start := time.Now()
	if err := bv.store.Commit(out.Writes); err != nil {
		bv.b.Fatal(err)
	}
	return out.Reply, time.Since(start)
}

// records seals n versions as other nodes would have written them: chains of four versions
// per path, one block each, paths numbered from first/4.
func records(first, n int) []messages.SyncRecord {
	rc := vaultcrypt.NewRecordCipher(testKey)
	out := make([]messages.SyncRecord, 0, n)
	var parent []byte
	for i := first; i < first+n; i++ {
		if i%4 == 0 {
			parent = nil
		}
		var ref messages.BlockAddr
		sum := sha256.Sum256(fmt.Appendf(nil, "block %d", i))
		copy(ref[:], sum[:])
		ver := &storev1.Version{Path: fmt.Sprintf("/photos/%07d.jpg", i/4), Size: 1 << 20, ContentHash: sum[:], Md5: sum[:16],
			ContentType: "image/jpeg", MtimeMs: 1_700_000_000_000, Author: "12D3KooWother", CreatedMs: 1_600_000_000_000 + int64(i),
			Blocks: []*storev1.BlockRef{{Addr: ref[:], Size: 1 << 20, Secret: sum[:]}}}
		if parent != nil {
			ver.Parents = [][]byte{parent}
		}
		sealed := rc.Seal(storev1.Marshal(ver))
		addr := sha256.Sum256(sealed)
		parent = addr[:]
		out = append(out, messages.SyncRecord{Addr: addr, Sealed: sealed, Blocks: []messages.BlockAddr{ref}})
	}
	return out
}

// BenchmarkSync: a vault holding 100k versions (25k paths) on bbolt. summary: the root query
// sync runs first on every exchange; summary-buckets: with the 256 bucket hashes; list-bucket:
// one bucket's addresses; get-1000 and apply-1000: one batch of records out of this vault and
// into it (each apply adds 1000 new versions: 250 new paths); commit-local: one upload's
// commit in that vault. Times are the core's step plus the bbolt commit (no fsync).
func BenchmarkSync(b *testing.B) {
	const versions = 100_000
	bv := newBoltVault(b)
	start := time.Now()
	for i := 0; i < versions; i += messages.MaxSyncApply {
		bv.step(messages.SyncApply{Records: records(i, messages.MaxSyncApply)})
	}
	s, _ := bv.step(messages.SyncSummary{})
	if got := s.(messages.VaultSummary).Versions; got != versions {
		b.Fatalf("%d versions", got)
	}
	b.Logf("loaded %d versions in %v (%d applies of %d)", versions, time.Since(start), versions/messages.MaxSyncApply, messages.MaxSyncApply)
	b.Run("summary", func(b *testing.B) {
		for b.Loop() {
			bv.step(messages.SyncSummary{})
		}
	})
	b.Run("summary-buckets", func(b *testing.B) {
		for b.Loop() {
			bv.step(messages.SyncSummary{Buckets: true})
		}
	})
	b.Run("list-bucket", func(b *testing.B) {
		for b.Loop() {
			bv.step(messages.SyncList{Buckets: []byte{0x5a}})
		}
	})
	list, _ := bv.step(messages.SyncList{Limit: messages.MaxSyncGet})
	addrs := list.(messages.SyncListing).Addrs
	b.Run("get-1000", func(b *testing.B) {
		for b.Loop() {
			bv.step(messages.SyncGet{Addrs: addrs})
		}
	})
	b.Run("apply-1000", func(b *testing.B) {
		next := versions
		var commit time.Duration
		for b.Loop() {
			b.StopTimer()
			recs := records(next, messages.MaxSyncApply)
			next += messages.MaxSyncApply
			b.StartTimer()
			_, c := bv.step(messages.SyncApply{Records: recs})
			commit += c
		}
		b.ReportMetric(float64(commit.Milliseconds())/float64(b.N), "commit-ms/op")
	})
	b.Run("commit-local", func(b *testing.B) { // an upload's commit, its Merkle bucket rehashed
		i := 0
		var commit time.Duration
		for b.Loop() {
			i++
			_, c := bv.step(messages.CommitUpload{Path: fmt.Sprintf("/local/%d", i), Manifest: manifest(fmt.Sprint(i), 4)})
			commit += c
		}
		b.ReportMetric(float64(commit.Microseconds())/float64(b.N), "commit-µs/op")
	})
	snap, _ := bv.store.Snapshot()
	defer snap.Release()
	if err := vault.CheckInvariants(snap, vaultID, testKey); err != nil {
		b.Fatal(err)
	}
}
