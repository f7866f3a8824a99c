package vault_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/messages"
)

func TestQuota(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{HardQuota: 20, KeepVersions: 5}, false)
	r.put("/a", "0123456789") // 10 of 20
	grant := r.step(messages.BeginUpload{Path: "/b", Size: -1}).(messages.UploadGrant)
	if grant.Remaining != 10 || grant.Used != 10 || grant.HardQuota != 20 {
		t.Fatalf("grant %+v", grant)
	}
	if err := grant.Over(11); !errors.Is(err, messages.ErrQuota) {
		t.Fatalf("grant.Over(11): %v", err)
	}
	err := r.stepErr(messages.BeginUpload{Path: "/b", Size: 11})
	var q *messages.QuotaError
	if !errors.As(err, &q) || q.VaultID != vaultID || q.HardQuota != 20 || q.WouldBeSize != 21 || err.Error() != "vault quota exceeded" {
		t.Fatalf("begin over quota: %#v", err)
	}
	commits := r.v.Store.Commits()
	before := r.usage()
	r.events()
	err = r.stepErr(messages.CommitUpload{Path: "/b", Manifest: manifest("0123456789a", 4)})
	if !errors.As(err, &q) || q.WouldBeSize != 21 {
		t.Fatalf("commit over quota: %v", err)
	}
	if r.v.Store.Commits() != commits || r.usage() != before || r.events() != "" {
		t.Fatalf("a refused commit wrote something: usage %+v", r.usage())
	}
	r.put("/b", "0123456789") // exactly at the quota
	if err := r.stepErr(messages.BeginUpload{Path: "/c", Size: 1}); !errors.Is(err, messages.ErrQuota) {
		t.Fatalf("one byte over: %v", err)
	}
	r.step(messages.DeleteFile{Path: "/b"}) // deletes are never refused; the history still counts
	if u := r.usage(); u.Bytes != 20 {
		t.Fatalf("usage after delete %+v", u)
	}
	r.checkCatalog()
}

func TestQuotaCountsWhatRetentionFrees(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{HardQuota: 20, KeepVersions: 1}, false)
	r.put("/a", "0123456789")
	r.put("/b", "0123456789")
	// Overwriting /a prunes its old version, so 10 more bytes fit.
	grant := r.step(messages.BeginUpload{Path: "/a", Size: 10}).(messages.UploadGrant)
	if grant.Used != 10 || grant.Remaining != 10 {
		t.Fatalf("grant %+v", grant)
	}
	r.put("/a", "abcdefghij")
	if u := r.usage(); u.Bytes != 20 || u.Versions != 2 {
		t.Fatalf("usage %+v", u)
	}
	r.checkCatalog()
}

func TestRetentionKeepVersions(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{KeepVersions: 2}, false)
	r.put("/a", "aaaa1111")
	r.put("/a", "aaaa2222")
	r.events()
	third := r.put("/a", "aaaa3333")
	if third.VersionCount != 2 {
		t.Fatalf("version count %d", third.VersionCount)
	}
	if got := r.events(); got != "file_updated versions_pruned" {
		t.Fatalf("events %q", got)
	}
	if u := r.usage(); u.Bytes != 16 || u.Versions != 2 {
		t.Fatalf("usage %+v", u)
	}
	if err := r.stepErr(messages.OpenVersion{Path: "/a", ContentHash: hashOf("aaaa1111")}); err.Error() != "version not found" {
		t.Fatalf("a pruned version: %v", err)
	}
	r.checkCatalog()
	orphans := r.orphans()
	if len(orphans) != 1 { // "aaaa" is still referenced; only "1111" lost its last reference
		t.Fatalf("orphans %v", orphans)
	}
	// Tightening the policy sweeps at once.
	one := 1
	r.step(messages.SetPolicy{KeepVersions: &one})
	if got := r.events(); got != "policy_changed" {
		t.Fatalf("events %q", got)
	}
	r.wake("retention")
	if u := r.usage(); u.Versions != 1 || u.Bytes != 8 {
		t.Fatalf("usage after the sweep %+v", u)
	}
	r.checkCatalog()
}

func TestRetentionKeepDeletedFor(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{KeepDeletedForMs: time.Hour.Milliseconds()}, false)
	r.put("/gone", "gone data")
	r.put("/kept", "kept")
	r.step(messages.DeleteFile{Path: "/gone"})
	r.later(30 * time.Minute)
	r.wake("retention")
	if u := r.usage(); u.DeletedFiles != 1 || u.Versions != 3 {
		t.Fatalf("too early: %+v", u)
	}
	r.later(31 * time.Minute)
	r.events()
	r.wake("retention")
	if u := r.usage(); u.DeletedFiles != 0 || u.Files != 1 || u.Versions != 1 || u.Bytes != 4 {
		t.Fatalf("after keep_deleted_for: %+v", u)
	}
	if got := r.events(); got != "versions_pruned" {
		t.Fatalf("events %q", got)
	}
	if err := r.stepErr(messages.GetHistory{Path: "/gone"}); !errors.Is(err, messages.ErrNotFound) {
		t.Fatalf("history of a forgotten path: %v", err)
	}
	if n := len(r.orphans()); n != 3 {
		t.Fatalf("%d orphans, want the 3 blocks of /gone", n)
	}
	r.checkCatalog()
	// The collector deleted two of them; a new version references the third again.
	r.put("/again", "gone")
	orphans := r.orphans()
	if n := r.step(messages.ForgetOrphans{Addrs: orphans}).(messages.OrphansForgotten).Count; n != 2 || len(r.orphans()) != 0 {
		t.Fatalf("forgot %d, %d left", n, len(r.orphans()))
	}
}

func TestSetPolicy(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	rf, quota := 3, int64(1<<30)
	p := r.step(messages.SetPolicy{ReplicationFactor: &rf, HardQuota: &quota}).(messages.VaultPolicy)
	if p.ReplicationFactor != 3 || p.HardQuota != 1<<30 || p.Version != 2 || p.KeepVersions != messages.DefaultKeepVersions {
		t.Fatalf("policy %+v", p)
	}
	bad := 0
	var invalid *messages.InvalidError
	if err := r.stepErr(messages.SetPolicy{ReplicationFactor: &bad}); !errors.As(err, &invalid) || invalid.Field != "replication_factor" {
		t.Fatalf("rf 0: %v", err)
	}
	if p := r.step(messages.SetPolicy{ReplicationFactor: &rf}).(messages.VaultPolicy); p.Version != 2 {
		t.Fatalf("an unchanged policy got a new version: %+v", p)
	}
	if got := r.events(); got != "policy_changed" {
		t.Fatalf("events %q", got)
	}
	r.v.Reload()
	if st := r.step(messages.GetVault{}).(messages.VaultStatus); st.Policy != p {
		t.Fatalf("after reload %+v, want %+v", st.Policy, p)
	}
}

func TestLockUnlock(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, true)
	r.put("/a", "secret")
	if st := r.step(messages.LockVault{}).(messages.VaultStatus); !st.Locked || !st.PasswordProtected {
		t.Fatalf("lock: %+v", st)
	}
	for _, cmd := range []any{
		messages.BeginUpload{Path: "/b", Size: 1}, messages.CommitUpload{Path: "/b"}, messages.StatFile{Path: "/a"},
		messages.ListFiles{}, messages.GetHistory{Path: "/a"}, messages.OpenVersion{Path: "/a"},
		messages.DeleteFile{Path: "/a"}, messages.RestoreFile{Path: "/a"}, messages.ResolveConflict{Path: "/a"},
	} {
		if err := r.stepErr(cmd); !errors.Is(err, messages.ErrLocked) || err.Error() != "vault locked" {
			t.Errorf("%T while locked: %v", cmd, err)
		}
	}
	if err := r.stepErr(messages.UnlockVault{Key: otherKey}); !errors.Is(err, messages.ErrForbidden) {
		t.Fatalf("unlock with another key: %v", err)
	}
	if st := r.step(messages.UnlockVault{Key: testKey}).(messages.VaultStatus); st.Locked {
		t.Fatalf("unlock: %+v", st)
	}
	if got := r.events(); got != "file_added vault_locked vault_unlocked" {
		t.Fatalf("events %q", got)
	}
	r.step(messages.StatFile{Path: "/a"})
	// A sweep that finds the vault locked waits for the key.
	one := 1
	r.put("/a", "secret 2")
	r.step(messages.LockVault{})
	r.step(messages.SetPolicy{KeepVersions: &one})
	r.wake("retention")
	if u := r.usage(); u.Versions != 2 {
		t.Fatalf("a locked vault was swept: %+v", u)
	}
	r.step(messages.UnlockVault{Key: testKey})
	r.wake("retention")
	if u := r.usage(); u.Versions != 1 {
		t.Fatalf("the sweep did not run after the unlock: %+v", u)
	}
	r.v.Reload() // a password vault starts locked
	if st := r.step(messages.GetVault{}).(messages.VaultStatus); !st.Locked {
		t.Fatalf("after reload: %+v", st)
	}
}

func TestLockWithoutPassword(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	if err := r.stepErr(messages.LockVault{}); !errors.Is(err, messages.ErrConflict) || !strings.Contains(err.Error(), "no password") {
		t.Fatalf("lock without a password: %v", err)
	}
}

// orphans lists the vault's orphan records.
func (r *rig) orphans() []messages.BlockAddr {
	snap, _ := r.v.Store.Snapshot()
	defer snap.Release()
	var out []messages.BlockAddr
	prefix := "vault/" + vaultID + "/orphan/"
	snap.Scan("catalog", prefix, "", func(k string, _ []byte) bool {
		var a messages.BlockAddr
		if _, err := hexDecode(a[:], strings.TrimPrefix(k, prefix)); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, a)
		return true
	})
	return out
}
