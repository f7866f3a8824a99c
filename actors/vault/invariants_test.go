package vault_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// checkCatalog recomputes what the catalog's counters claim from its versions and paths
// (vault.CheckInvariants), and checks that the core reports the usage its record holds.
func (r *rig) checkCatalog() {
	r.t.Helper()
	snap, err := r.v.Store.Snapshot()
	if err != nil {
		r.t.Fatal(err)
	}
	defer snap.Release()
	if err := vault.CheckInvariants(snap, vaultID, testKey); err != nil {
		r.t.Error(err)
	}
	if got, want := r.usage(), storedUsage(r.t, snap); got != want {
		r.t.Errorf("the core reports usage %+v, its record holds %+v", got, want)
	}
}

// storedUsage decodes the vault's usage record.
func storedUsage(t *testing.T, v persist.View) messages.VaultUsage {
	t.Helper()
	u := &storev1.VaultUsage{}
	if raw, ok := v.Get(persist.Catalog, "vault/"+vaultID+"/usage"); ok {
		if err := proto.Unmarshal(raw, u); err != nil {
			t.Fatal(err)
		}
	}
	return messages.VaultUsage{Bytes: u.Bytes, Files: u.Files, DeletedFiles: u.Deleted, Versions: u.Versions, Conflicts: u.Conflicts, Pruned: u.Pruned}
}

// CheckInvariants notices a reference count that its versions do not account for.
func TestCheckInvariantsCatchesABrokenCount(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	r.put("/a.txt", "hello world")
	r.checkCatalog()
	info := r.step(messages.StatFile{Path: "/a.txt"}).(messages.FileInfo)
	ref := "vault/" + vaultID + "/ref/" + info.Blocks[0]
	if err := r.v.Store.Commit([]persist.Write{{Bucket: persist.Catalog, Key: ref, Value: []byte{0, 0, 0, 0, 0, 0, 0, 9}}}); err != nil {
		t.Fatal(err)
	}
	snap, _ := r.v.Store.Snapshot()
	defer snap.Release()
	if err := vault.CheckInvariants(snap, vaultID, testKey); err == nil {
		t.Fatal("a reference count of 9 for a block one version holds went unnoticed")
	}
}
