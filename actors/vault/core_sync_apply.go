package vault

import (
	"bytes"
	"cmp"
	"maps"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// incoming is a record of a SyncApply that this vault will insert, opened.
type incoming struct {
	addr   []byte
	sealed []byte
	ver    *storev1.Version
}

// pathWork is a path an apply touches: its entry before the apply and the one being built.
type pathWork struct {
	old, e *storev1.PathEntry
}

// applyTrusted merges a peer's records, pruned set and policy into a vault this node holds
// the key of (docs/vault-sync.md § Merge): policy first (retention below follows the winner),
// then the records not already here or pruned, then the peer's pruned addresses; then every
// touched path gets its heads recomputed from its retained versions, its shown head (the head
// with the greatest (created_ms, addr)), retention, and events for its net change.
func (c *core) applyTrusted(now time.Time, m messages.SyncApply, v persist.View) host.Output {
	ch := c.begin(v, now.UnixMilli())
	res := messages.SyncApplied{}
	tighter := false
	if m.Policy != nil {
		res.Policy, tighter = ch.adoptPolicy(m.Policy)
	}
	dropping := map[messages.VersionAddr]bool{}
	for _, a := range m.Pruned {
		dropping[a] = true
	}
	var in []incoming
	seen := map[messages.VersionAddr]bool{}
	for _, r := range m.Records {
		if seen[r.Addr] {
			continue
		}
		seen[r.Addr] = true
		switch {
		case ch.hasVersion(r.Addr[:]):
			res.Present++
		case dropping[r.Addr] || ch.isPruned(r.Addr[:]):
			res.Skipped++
		default:
			ver, ok := c.openRecord(r.Sealed)
			if !ok || !sameBlocks(ver, r.Blocks) {
				res.Unreadable++
				continue
			}
			in = append(in, incoming{addr: r.Addr[:], sealed: r.Sealed, ver: ver})
		}
	}
	// A path's new versions join its history in creation order.
	slices.SortFunc(in, func(a, b incoming) int {
		return cmp.Or(cmp.Compare(a.ver.Path, b.ver.Path), cmp.Compare(a.ver.CreatedMs, b.ver.CreatedMs), bytes.Compare(a.addr, b.addr))
	})
	works := map[string]*pathWork{}
	for _, r := range in {
		w := ch.work(works, r.ver.Path)
		ch.putVersion(r.addr, r.sealed)
		ch.opened[messages.VersionAddr(r.addr)] = r.ver
		for _, b := range r.ver.Blocks {
			ch.addRef(b.Addr)
		}
		w.e.LastSeq++
		ch.tx.put(ch.c.keys.historyAt(r.ver.Path, w.e.LastSeq), r.addr)
		w.e.MaxCreatedMs = max(w.e.MaxCreatedMs, r.ver.CreatedMs)
		ch.usage.Bytes += r.ver.Size
		ch.usage.Versions++
		ch.countDay(r.ver)
		res.Added++
	}
	for _, a := range slices.SortedFunc(maps.Keys(dropping), compareAddr) {
		if !ch.hasVersion(a[:]) {
			ch.addPruned(a[:])
			continue
		}
		if err := ch.dropPeerPruned(works, a[:]); err != nil {
			return host.Output{Reply: err}
		}
		res.Dropped++
	}
	for _, path := range slices.Sorted(maps.Keys(works)) {
		if err := ch.mergePath(path, works[path], &res); err != nil {
			return host.Output{Reply: err}
		}
	}
	ch.updateMerkle()
	res.Root, res.Versions = ch.rootNow(), ch.usage.Versions
	ch.syncedEvent(&res)
	out := ch.done(res)
	if tighter {
		c.sweep.cursor = ""
		out.Timers = []host.Timer{{Key: timerRetention, At: now}}
	}
	return out
}

// openRecord opens a peer's record with the vault key and checks that it is a version this
// catalog can index; false when it is not (sealed by someone without the key, or malformed).
// The caller also refuses a record whose block list is not its own.
func (c *core) openRecord(sealed []byte) (*storev1.Version, bool) {
	plain, err := c.rc.Open(sealed)
	if err != nil {
		return nil, false
	}
	ver := &storev1.Version{}
	if proto.Unmarshal(plain, ver) != nil || checkPath(ver.Path) != nil || ver.Size < 0 || ver.CreatedMs <= 0 {
		return nil, false
	}
	for _, p := range ver.Parents {
		if len(p) != 32 {
			return nil, false
		}
	}
	for _, b := range ver.Blocks {
		if len(b.Addr) != 32 || len(b.Secret) != 32 || ver.Deleted {
			return nil, false
		}
	}
	return ver, true
}

// sameBlocks reports whether list is the version's block list: what the driver fetched before
// applying is what the version references (a relay without the key could not check it).
func sameBlocks(ver *storev1.Version, list []messages.BlockAddr) bool {
	if len(list) != len(ver.Blocks) {
		return false
	}
	for i, b := range ver.Blocks {
		if !bytes.Equal(b.Addr, list[i][:]) {
			return false
		}
	}
	return true
}

// work returns the path's work item, reading its entry the first time.
func (ch *change) work(works map[string]*pathWork, path string) *pathWork {
	if w, ok := works[path]; ok {
		return w
	}
	w := &pathWork{old: ch.c.entry(ch.tx, path), e: &storev1.PathEntry{}}
	if w.old != nil {
		w.e = proto.Clone(w.old).(*storev1.PathEntry)
	}
	works[path] = w
	return w
}

// dropPeerPruned drops a retained version the peer's pruned set names, wherever it stands in
// its path: a peer prunes only what its retention dropped, which any node holding the same
// versions drops too.
func (ch *change) dropPeerPruned(works map[string]*pathWork, addr []byte) error {
	ver, err := ch.open(addr)
	if err != nil {
		return err
	}
	ch.work(works, ver.Path)
	for _, h := range ch.tx.scanAll(ch.c.keys.history(ver.Path)) {
		if bytes.Equal(h.val, addr) {
			_, err := ch.dropVersion(h)
			return err
		}
	}
	// A retained version outside its path's history: drop the record alone.
	_, err = ch.dropVersion(kv{key: ch.c.keys.version(addr), val: addr})
	return err
}

// mergePath settles a touched path from its retained versions: heads are the versions no
// retained version names as a parent, the shown head the head with the greatest
// (created_ms, addr); then keep_versions applies and the net change is reported.
func (ch *change) mergePath(path string, w *pathWork, res *messages.SyncApplied) error {
	hist := ch.tx.scanAll(ch.c.keys.history(path))
	if len(hist) == 0 {
		if w.old != nil {
			ch.setEntry(path, w.old, nil)
		}
		return nil
	}
	e := w.e
	e.Heads, e.Versions = nil, uint64(len(hist))
	heads, shown, err := ch.heads(hist)
	if err != nil {
		return err
	}
	e.Heads = heads
	if !bytes.Equal(w.old.GetHead(), shown) || len(w.old.GetHeads()) != len(heads) {
		e.UpdatedMs = ch.ms
	}
	ver, _ := ch.open(shown)
	showHead(e, shown, ver)
	if err := ch.keepNewest(path, e); err != nil {
		return err
	}
	if w.old != nil && proto.Equal(w.old, e) {
		return nil
	}
	ch.setEntry(path, w.old, e)
	ch.syncFileEvents(path, w.old, e, ver)
	if n := len(e.Heads); n > 1 && n > len(w.old.GetHeads()) {
		res.Conflicts++
	}
	return nil
}

// heads finds a path's heads among its retained versions (sorted) and the shown one.
func (ch *change) heads(hist []kv) ([][]byte, []byte, error) {
	parents := map[messages.VersionAddr]bool{}
	vers := make([]*storev1.Version, len(hist))
	for i, h := range hist {
		ver, err := ch.open(h.val)
		if err != nil {
			return nil, nil, err
		}
		vers[i] = ver
		for _, p := range ver.Parents {
			parents[messages.VersionAddr(p)] = true
		}
	}
	var heads [][]byte
	var shown []byte
	var shownAt int64
	for i, h := range hist {
		if parents[messages.VersionAddr(h.val)] {
			continue
		}
		heads = append(heads, h.val)
		if at := vers[i].CreatedMs; shown == nil || at > shownAt || at == shownAt && bytes.Compare(h.val, shown) > 0 {
			shown, shownAt = h.val, at
		}
	}
	slices.SortFunc(heads, bytes.Compare)
	return heads, shown, nil
}

// syncFileEvents reports a path's net change by an apply, as local commits would have: the
// shown head became live (added, or updated) or a tombstone (deleted), and conflicts.
func (ch *change) syncFileEvents(path string, old, e *storev1.PathEntry, ver *storev1.Version) {
	oldLive := old != nil && !old.Deleted
	if !bytes.Equal(old.GetHead(), e.Head) {
		switch {
		case !e.Deleted && !oldLive:
			ch.event("file_added", ch.c.fileEvent(e.Head, ver))
		case !e.Deleted:
			ch.event("file_updated", ch.c.fileEvent(e.Head, ver))
		case oldLive:
			ch.event("file_deleted", ch.c.fileEvent(e.Head, ver))
		}
	}
	ch.conflictEvents(path, old, e, e.Head)
}

// adoptPolicy keeps a peer's policy when it opens with the vault key, says the version it
// claims and wins over this vault's (messages.SyncPolicy.Newer); it reports whether it was
// adopted and whether retention got tighter.
func (ch *change) adoptPolicy(p *messages.SyncPolicy) (adopted, tightened bool) {
	c := ch.c
	if !p.Newer(c.syncPolicy()) {
		return false, false
	}
	plain, err := c.rc.Open(p.Sealed)
	if err != nil {
		return false, false
	}
	next := &storev1.VaultPolicy{}
	if proto.Unmarshal(plain, next) != nil || next.Version != p.Version || next.ReplicationFactor < 1 ||
		next.ReplicationFactor > messages.MaxReplicationFactor || next.HardQuota < 0 || next.KeepDeletedForMs < 0 {
		return false, false
	}
	old := c.policy
	var fields []string
	for _, f := range []struct {
		name string
		diff bool
	}{
		{"replication_factor", old.ReplicationFactor != next.ReplicationFactor},
		{"hard_quota", old.HardQuota != next.HardQuota},
		{"keep_versions", old.KeepVersions != next.KeepVersions},
		{"keep_deleted_for_ms", old.KeepDeletedForMs != next.KeepDeletedForMs},
	} {
		if f.diff {
			fields = append(fields, f.name)
		}
	}
	ch.policy, ch.spol = next, &messages.SyncPolicy{Version: p.Version, Sealed: slices.Clone(p.Sealed)}
	ch.tx.store(c.keys.policy(), next)
	ch.event("policy_changed", map[string]any{"vault_id": c.id, "fields": fields, "policy": policyInfo(next), "synced": true})
	return true, tighter(old.KeepVersions, next.KeepVersions) || tighter64(old.KeepDeletedForMs, next.KeepDeletedForMs)
}

// rootNow is the Merkle root after the step's changes so far (updateMerkle ran).
func (ch *change) rootNow() [32]byte {
	if ch.mk != nil {
		return ch.mk.root
	}
	return ch.c.mk.root
}
