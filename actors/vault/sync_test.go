package vault_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// Random uploads, stale-base edits, deletes, restores, resolutions and policy changes at three
// trusted nodes and one untrusted node, with random pulls (random batch sizes) between them and
// every catalog checked after every step; once the operations stop, pulling between every pair
// converges: same roots, no node retains a version any node pruned, the same heads and shown
// head for every path on every trusted node.
func TestSyncRandomConverges(t *testing.T) {
	seeds := 30
	if testing.Short() {
		seeds = 10
	}
	var seen messages.SyncApplied
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomSync(t, seed, &seen) })
	}
	// The runs reached what sync is for: conflicts made by merging, versions dropped by a
	// peer's pruned set, pruned records offered back and skipped, policies adopted.
	if seen.Conflicts == 0 || seen.Dropped == 0 || seen.Skipped == 0 || !seen.Policy || seen.Unreadable != 0 {
		t.Errorf("the random runs missed a case: %+v", seen)
	}
}

func randomSync(t *testing.T, seed uint64, seen *messages.SyncApplied) {
	rng := rand.New(rand.NewPCG(seed, 7))
	now := time.UnixMilli(1_700_000_000_000)
	keep := messages.VaultPolicy{KeepVersions: 1 + rng.IntN(4)}
	peers := []*peer{newPeer(t, "a", false, keep, now), newPeer(t, "b", false, keep, now),
		newPeer(t, "c", false, keep, now), newPeer(t, "u", true, keep, now)}
	paths := []string{"/p0", "/p1", "/p2", "/dir/p3"}
	for step := range 150 {
		now = now.Add(time.Duration(rng.IntN(3)) * time.Second)
		for _, p := range peers {
			p.at(now)
		}
		p := peers[rng.IntN(3)]
		path := paths[rng.IntN(len(paths))]
		switch op := rng.IntN(10); {
		case op < 4:
			randomEdit(p, rng, path, step)
		case op == 4:
			p.v.Step(messages.DeleteFile{Path: path})
		case op == 5:
			if info, ok := p.v.Step(messages.StatFile{Path: path, IncludeDeleted: true}).(messages.FileInfo); ok && info.Conflict {
				p.v.Step(messages.ResolveConflict{Path: path, ContentHash: info.Heads[rng.IntN(len(info.Heads))]})
			}
		case op == 6 && rng.IntN(4) == 0:
			n := rng.IntN(5)
			p.v.Step(messages.SetPolicy{KeepVersions: &n})
		case op == 6:
			p.v.Step(host.Wake{Key: "retention"})
		default:
			dst, src := peers[rng.IntN(len(peers))], peers[rng.IntN(len(peers))]
			if dst != src {
				r := pullWith(dst, src, 1+rng.IntN(4), rng.IntN(3) > 0).applied
				seen.Conflicts, seen.Dropped, seen.Skipped = seen.Conflicts+r.Conflicts, seen.Dropped+r.Dropped, seen.Skipped+r.Skipped
				seen.Unreadable += r.Unreadable
				seen.Policy = seen.Policy || r.Policy
			}
		}
		for _, p := range peers {
			if err := p.check(); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
		}
	}
	order := slices.Clone(peers)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	if rounds := converge(order, 1+rng.IntN(5), 8); rounds > 8 {
		t.Fatalf("seed %d: no convergence in 8 rounds", seed)
	}
	if err := sameState(peers); err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	for _, p := range peers {
		if err := p.check(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}

// randomEdit uploads new content to path: on top of the heads, or on a random older version
// (a stale base: a conflict when it is not the head).
func randomEdit(p *peer, rng *rand.Rand, path string, step int) {
	content := fmt.Sprintf("%s@%s#%d", path, p.name, step)
	cmd := messages.CommitUpload{Path: path, Manifest: manifest(content, 4+rng.IntN(8)), ContentType: "text/plain"}
	if h, ok := p.v.Step(messages.GetHistory{Path: path}).(messages.FileHistory); ok && rng.IntN(3) == 0 {
		if v := h.Versions[rng.IntN(len(h.Versions))]; !v.Deleted {
			cmd.Base = v.ContentHash
		}
	}
	p.v.Step(cmd)
}

// Nothing of an untrusted node's store names a path, a content type or an author, or holds the
// key check: it has sealed records, block lists, counts and hashes only.
func TestUntrustedHoldsNoPlaintext(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	a, u := newPeer(t, "a", false, messages.VaultPolicy{}, now), newPeer(t, "u", true, messages.VaultPolicy{}, now)
	a.ask(messages.CommitUpload{Path: "/secret-plans.txt", Manifest: manifest("attack at dawn", 4), ContentType: "text/x-secret",
		Meta: map[string]string{"codename": "overlord"}})
	a.ask(messages.DeleteFile{Path: "/secret-plans.txt"})
	pull(u, a, 10)
	if s := u.summary(false); s.Versions != 2 || s.Root != a.summary(false).Root {
		t.Fatalf("u holds %d versions, root equal %v", s.Versions, s.Root == a.summary(false).Root)
	}
	snap, _ := u.v.Store.Snapshot()
	defer snap.Release()
	for _, b := range []persist.Bucket{persist.Catalog, persist.Vaults, persist.Events, persist.Seqs, persist.Meta} {
		snap.Scan(b, "", "", func(k string, v []byte) bool {
			for _, marker := range []string{"secret-plans", "text/x-secret", "overlord", "attack at dawn", "node-a", "keycheck", "/path/", "/hist/"} {
				if strings.Contains(k, marker) || strings.Contains(string(v), marker) {
					t.Errorf("untrusted store: %s/%q holds %q", b, k, marker)
				}
			}
			return true
		})
	}
	for _, cmd := range []any{messages.ListFiles{}, messages.StatFile{Path: "/secret-plans.txt"}, messages.UnlockVault{Key: testKey},
		messages.SetPolicy{}, messages.LockVault{}} {
		if err, _ := u.v.Step(cmd).(error); !errors.Is(err, messages.ErrLocked) {
			t.Errorf("%T on an untrusted vault: %v, want locked", cmd, err)
		}
	}
	if st := u.ask(messages.GetVault{}).(messages.VaultStatus); !st.Untrusted || !st.Locked || st.Usage.Versions != 2 || st.Policy.Version != 1 {
		t.Errorf("untrusted status %+v", st)
	}
}

// A vault this node observes but does not hold refuses records; the registry lists untrusted
// vaults with their flags, refuses to observe a trusted one and to give an untrusted one roles.
func TestObserveVault(t *testing.T) {
	reg := newRegistry(t)
	reg.Step(createCmd("t1", "Trusted"))
	meta := reg.Step(messages.ObserveVault{ID: "u1"}).(messages.VaultMeta)
	if !meta.Untrusted || meta.Hold || meta.Name != "" {
		t.Fatalf("observed: %+v", meta)
	}
	if again := reg.Step(messages.ObserveVault{ID: "u1", Name: "Their photos", Hold: true}).(messages.VaultMeta); !again.Hold || again.Name != "Their photos" {
		t.Fatalf("observed again: %+v", again)
	}
	reg.Step(messages.ObserveVault{ID: "u2"})
	list := reg.Step(messages.ListVaults{}).(messages.VaultList).Vaults
	if len(list) != 3 || list[0].ID != "u2" || !list[0].Untrusted || list[1].Name != "Their photos" || list[2].Untrusted {
		t.Fatalf("list %+v", list)
	}
	for _, tc := range []struct {
		cmd  any
		want error
	}{
		{messages.ObserveVault{ID: "t1"}, messages.ErrConflict},
		{messages.ObserveVault{ID: "u3", Name: "Trusted"}, messages.ErrConflict},
		{messages.CreateVault{ID: "u1", Name: "Mine", SealedKey: seal(messages.VaultKeyPurpose("u1"), testKey[:])}, messages.ErrConflict},
		{messages.UpdateVaultMeta{ID: "u1", Roles: &[]string{messages.RoleS3}}, messages.ErrConflict},
		{messages.SetAlias{ID: "u1", Alias: "their-photos"}, messages.ErrConflict},
	} {
		if err, _ := reg.Step(tc.cmd).(error); !errors.Is(err, tc.want) {
			t.Errorf("%T %+v: %v, want %v", tc.cmd, tc.cmd, err, tc.want)
		}
	}
	var types []string
	for _, ev := range reg.Events {
		types = append(types, ev.Type)
	}
	if got := strings.Join(types, " "); got != "vault_created vault_observed vault_observed vault_observed" {
		t.Errorf("events %s", got)
	}

	now := time.UnixMilli(1_700_000_000_000)
	a, u := newPeer(t, "a", false, messages.VaultPolicy{}, now), newPeer(t, "u", true, messages.VaultPolicy{}, now)
	a.ask(messages.CommitUpload{Path: "/f", Manifest: manifest("f", 4)})
	u.reg.Step(messages.ObserveVault{ID: vaultID, Hold: false})
	got := a.ask(messages.SyncGet{Addrs: listAll(a, allBuckets()).Addrs}).(messages.SyncRecords)
	if err, _ := u.v.Step(messages.SyncApply{Records: got.Records}).(error); !errors.Is(err, messages.ErrForbidden) {
		t.Fatalf("apply to a vault not held: %v", err)
	}
}

// A locked vault answers summaries and listings, but reading block lists and applying need the key.
func TestSyncOnALockedVault(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, true)
	r.put("/f", "content")
	want := r.step(messages.SyncSummary{}).(messages.VaultSummary)
	r.step(messages.LockVault{})
	if got := r.step(messages.SyncSummary{}).(messages.VaultSummary); got.Root != want.Root || got.Versions != 1 {
		t.Fatalf("locked summary %+v", got)
	}
	addrs := r.step(messages.SyncList{}).(messages.SyncListing).Addrs
	for _, cmd := range []any{messages.SyncGet{Addrs: addrs}, messages.SyncApply{}} {
		if err := r.stepErr(cmd); !errors.Is(err, messages.ErrLocked) {
			t.Errorf("%T on a locked vault: %v", cmd, err)
		}
	}
}

// Listings page through buckets in address order, retained and pruned addresses merged, and a
// Get answers what it has, what it lacks and what did not fit.
func TestSyncListPagesAndGetAnswersMissing(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{KeepVersions: 2}, false)
	for i := range 40 {
		r.put(fmt.Sprintf("/f%d", i%10), fmt.Sprint(i))
	}
	s := r.step(messages.SyncSummary{Buckets: true}).(messages.VaultSummary)
	if s.Versions != 20 || s.Pruned != 20 || len(s.Buckets) != messages.SyncBuckets {
		t.Fatalf("summary: %d versions, %d pruned, %d buckets", s.Versions, s.Pruned, len(s.Buckets))
	}
	var all []messages.VersionAddr
	var kept, pruned int
	after := messages.VersionAddr{}
	for pages := 0; ; pages++ {
		page := r.step(messages.SyncList{After: after, Limit: 3}).(messages.SyncListing)
		if len(page.Addrs)+len(page.Pruned) > 3 {
			t.Fatalf("page of %d", len(page.Addrs)+len(page.Pruned))
		}
		all, kept, pruned = append(append(all, page.Addrs...), page.Pruned...), kept+len(page.Addrs), pruned+len(page.Pruned)
		if !page.More {
			break
		}
		after = page.Next
	}
	if kept != 20 || pruned != 20 || !slices.IsSortedFunc(sortedCopy(all), func(a, b messages.VersionAddr) int { return slices.Compare(a[:], b[:]) }) {
		t.Fatalf("paged %d kept, %d pruned", kept, pruned)
	}
	list := r.step(messages.SyncList{}).(messages.SyncListing)
	missing := messages.VersionAddr{1}
	got := r.step(messages.SyncGet{Addrs: append([]messages.VersionAddr{missing, list.Pruned[0]}, list.Addrs...)}).(messages.SyncRecords)
	if len(got.Records) != 20 || len(got.Missing) != 2 || got.Policy == nil || got.Policy.Version != 1 {
		t.Fatalf("get: %d records, %d missing", len(got.Records), len(got.Missing))
	}
	for _, rec := range got.Records {
		if len(rec.Blocks) != 1 {
			t.Fatalf("record %s lists %d blocks, want 1", rec.Addr, len(rec.Blocks))
		}
	}
	if err := r.stepErr(messages.SyncGet{Addrs: make([]messages.VersionAddr, messages.MaxSyncGet+1)}); err == nil {
		t.Fatal("an oversized get was answered")
	}
}

func sortedCopy(a []messages.VersionAddr) []messages.VersionAddr {
	out := slices.Clone(a)
	slices.SortFunc(out, func(x, y messages.VersionAddr) int { return slices.Compare(x[:], y[:]) })
	return out
}

// A catalog written before sync existed has ver/ keys but no Merkle records: the next load
// computes them.
func TestMerkleRebuiltForAnOlderCatalog(t *testing.T) {
	r := newRig(t)
	r.create(messages.VaultPolicy{}, false)
	for i := range 5 {
		r.put(fmt.Sprintf("/f%d", i), fmt.Sprint(i))
	}
	want := r.step(messages.SyncSummary{Buckets: true}).(messages.VaultSummary)
	var drop []persist.Write
	snap, _ := r.v.Store.Snapshot()
	snap.Scan(persist.Catalog, "vault/"+vaultID+"/mk", "", func(k string, _ []byte) bool {
		drop = append(drop, persist.Write{Bucket: persist.Catalog, Key: k, Delete: true})
		return true
	})
	snap.Release()
	if len(drop) < 2 {
		t.Fatalf("%d merkle records", len(drop))
	}
	if err := r.v.Store.Commit(drop); err != nil {
		t.Fatal(err)
	}
	r.v.Reload()
	if got := r.step(messages.SyncSummary{Buckets: true}).(messages.VaultSummary); got.Root != want.Root || !slices.Equal(got.Buckets, want.Buckets) {
		t.Fatal("the rebuilt summary differs")
	}
	r.put("/g", "more") // the next step writes the rebuilt records
	r.checkCatalog()
}

// CheckInvariants notices a Merkle bucket that does not match its versions, a version both
// retained and pruned, and a path entry in an untrusted vault.
func TestCheckInvariantsCatchesSyncRecords(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	a := newPeer(t, "a", false, messages.VaultPolicy{}, now)
	info := a.ask(messages.CommitUpload{Path: "/f", Manifest: manifest("f", 4)}).(messages.FileInfo)
	u := newPeer(t, "u", true, messages.VaultPolicy{}, now)
	pull(u, a, 10)
	p := "vault/" + vaultID + "/"
	for _, tc := range []struct {
		name  string
		peer  *peer
		write persist.Write
		want  string
	}{
		{"bucket", a, persist.Write{Bucket: persist.Catalog, Key: p + "mk/" + info.Version[:2], Value: make([]byte, 32)}, "merkle bucket"},
		{"root", a, persist.Write{Bucket: persist.Catalog, Key: p + "mkroot", Value: make([]byte, 32)}, "merkle root"},
		{"pruned", a, persist.Write{Bucket: persist.Catalog, Key: p + "pruned/" + info.Version, Value: make([]byte, 8)}, "both retained and pruned"},
		{"untrusted path", u, persist.Write{Bucket: persist.Catalog, Key: p + "path/f", Value: nil}, "plaintext"},
		{"untrusted list", u, persist.Write{Bucket: persist.Catalog, Key: p + "blk/" + info.Version, Delete: true}, "no block list"},
	} {
		if err := tc.peer.check(); err != nil {
			t.Fatalf("%s: before: %v", tc.name, err)
		}
		snap, _ := tc.peer.v.Store.Snapshot()
		old, had := snap.Get(tc.write.Bucket, tc.write.Key)
		snap.Release()
		if err := tc.peer.v.Store.Commit([]persist.Write{tc.write}); err != nil {
			t.Fatal(err)
		}
		if err := tc.peer.check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		undo := persist.Write{Bucket: tc.write.Bucket, Key: tc.write.Key, Value: old, Delete: !had}
		if err := tc.peer.v.Store.Commit([]persist.Write{undo}); err != nil {
			t.Fatal(err)
		}
	}
}

// A trusted apply skips, as unreadable, a record sealed under another key and one whose block
// list is not its own (the blocks a driver fetched must be the ones the version references).
func TestSyncSkipsForeignRecordsAndBlockLists(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	a, b := newPeer(t, "a", false, messages.VaultPolicy{}, now), newPeer(t, "b", false, messages.VaultPolicy{}, now)
	a.ask(messages.CommitUpload{Path: "/f", Manifest: manifest("0123456789", 4)})
	got := a.ask(messages.SyncGet{Addrs: listAll(a, allBuckets()).Addrs}).(messages.SyncRecords)
	rec := got.Records[0]
	short := rec
	short.Blocks = rec.Blocks[1:]
	swapped := rec
	swapped.Blocks = []messages.BlockAddr{rec.Blocks[1], rec.Blocks[0], rec.Blocks[2]}
	foreign := vaultcrypt.NewRecordCipher(otherKey).Seal([]byte("not a version"))
	stranger := messages.SyncRecord{Addr: sha256.Sum256(foreign), Sealed: foreign}
	for _, r := range []messages.SyncRecord{short, swapped, stranger} {
		res := b.ask(messages.SyncApply{Records: []messages.SyncRecord{r}}).(messages.SyncApplied)
		if res.Unreadable != 1 || res.Added != 0 {
			t.Errorf("applied %+v", res)
		}
	}
	if res := b.ask(messages.SyncApply{Records: []messages.SyncRecord{rec}}).(messages.SyncApplied); res.Added != 1 {
		t.Fatalf("the genuine record: %+v", res)
	}
	if err := b.check(); err != nil {
		t.Fatal(err)
	}
}
