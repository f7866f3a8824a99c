package scenarios

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memstore"
	"github.com/meshhold/meshhold/simulations/sim"
)

// VaultSync is the tier-1 catalog-sync simulation (docs/vault-sync.md): three trusted nodes and
// one untrusted node hold one vault, each its own store and cores; clients upload, edit stale
// bases into conflicts, delete, resolve and change the policy at random trusted nodes while
// pulls run between random pairs — some cut short, some across partitions that refuse them —
// nodes restart (cores reloaded from their records), days pass with retention sweeps, and a
// node sleeps through a week. Every committed step passes vault.CheckInvariants. When the faults
// stop, pulls between every pair must converge: one root, no node retaining a version any node
// pruned, the same heads and shown head on every trusted node, every acknowledged version still
// held everywhere unless pruned, and no path name in the untrusted node's store.
var VaultSync = sim.Scenario{
	Name: "vault-sync",
	Test: "TestVaultSync",
	Sometimes: []string{
		"sync merged a conflict", "sync dropped a version a peer pruned", "sync skipped a pruned record",
		"sync adopted a policy", "untrusted node relayed records", "pull cut short", "pull refused by a partition",
		"node restarted", "node slept a week", "sweep pruned",
	},
	Play: playVaultSync,
}

// syncNode is one node: its store and the vault core as its host would run it.
type syncNode struct {
	name      string
	untrusted bool
	store     *memstore.Store
	core      host.Core
	asleep    bool
}

type syncWorld struct {
	run   *sim.Run
	rng   *rand.Rand
	now   time.Time
	nodes []*syncNode
	cut   map[[2]int]bool   // partitioned pairs (lower index first)
	acked map[string]string // version addr (hex) → path, every acknowledged local version
	gone  map[string]bool   // addrs any node put in its pruned set
	bs    int               // block size
	sleep bool              // a node sleeps through a week
	err   error
}

func playVaultSync(r *sim.Run) error {
	w := &syncWorld{run: r, rng: r.Stream("world"), now: sim.Epoch, cut: map[[2]int]bool{}, acked: map[string]string{},
		gone: map[string]bool{}, bs: 8 << r.Stream("options").IntN(3)}
	keep := 1 + w.rng.IntN(4)
	r.Options = fmt.Sprintf("keep_versions=%d block=%d", keep, w.bs)
	for i, name := range []string{"a", "b", "c", "u"} {
		w.nodes = append(w.nodes, w.boot(name, i == 3, keep))
	}
	ops := 60 + w.rng.IntN(80)
	for i := 0; i < ops && w.err == nil; i++ {
		w.now = w.now.Add(time.Duration(w.rng.IntN(600)) * time.Second)
		w.act()
	}
	if w.err != nil {
		return w.err
	}
	return w.settle()
}

// boot creates the node's registry record and loads its vault core.
func (w *syncWorld) boot(name string, untrusted bool, keep int) *syncNode {
	n := &syncNode{name: name, untrusted: untrusted, store: memstore.New()}
	reg, _ := vault.LoadRegistry("", nil)
	var cmd any = messages.ObserveVault{ID: vaultID, Hold: true}
	if !untrusted {
		cmd = createVault(messages.VaultPolicy{KeepVersions: keep, KeepDeletedForMs: 2 * 24 * time.Hour.Milliseconds()})
	}
	snap, _ := n.store.Snapshot()
	out := reg.Step(w.now, cmd, snap)
	snap.Release()
	if err := n.store.Commit(out.Writes); err != nil {
		w.fail("%s: create: %v", name, err)
	}
	w.reload(n)
	return n
}

// reload loads the node's vault core from its committed records, as after a restart.
func (w *syncWorld) reload(n *syncNode) {
	snap, _ := n.store.Snapshot()
	core, err := vault.Load(vault.Deps{Unseal: unseal, NodeID: "node-" + n.name})(vaultEntity, snap)
	snap.Release()
	if err != nil {
		w.fail("%s: load: %v", n.name, err)
		return
	}
	n.core = core
	w.step(n, host.Recovered{})
}

// step runs one message at node n as its host would (snapshot, step, commit), traces it and
// checks the committed catalog.
func (w *syncWorld) step(n *syncNode, msg any) any {
	if w.err != nil {
		return nil
	}
	snap, _ := n.store.Snapshot()
	out := n.core.Step(w.now, msg, snap)
	snap.Release()
	if len(out.Writes) > 0 {
		if err := n.store.Commit(out.Writes); err != nil {
			w.fail("%s: commit: %v", n.name, err)
			return nil
		}
	}
	for _, wr := range out.Writes {
		if a, ok := strings.CutPrefix(wr.Key, "vault/"+vaultID+"/pruned/"); ok && !wr.Delete {
			w.gone[a] = true
		}
	}
	w.run.Trace.At(w.now, n.name, 0, fmt.Sprintf("%T", msg), sim.Kind(out.Reply), out.Reply)
	for _, ev := range out.Events {
		w.run.Trace.At(w.now, n.name, 0, ev.Type, "", ev.Data)
		if ev.Type == "vault_synced" {
			d := ev.Data.(map[string]any)
			if d["conflicts"].(int) > 0 {
				sim.Sometimes("sync merged a conflict")
			}
			if d["dropped"].(int) > 0 {
				sim.Sometimes("sync dropped a version a peer pruned")
			}
			if d["skipped"].(int) > 0 {
				sim.Sometimes("sync skipped a pruned record")
			}
			if d["policy"].(bool) {
				sim.Sometimes("sync adopted a policy")
			}
		}
	}
	snap, _ = n.store.Snapshot()
	defer snap.Release()
	if err := vault.CheckInvariants(snap, vaultID, vaultKey); err != nil {
		w.fail("%s after %T: %v", n.name, msg, err)
	}
	return out.Reply
}

func (w *syncWorld) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf(format, args...)
	}
}

// act does one random thing.
func (w *syncWorld) act() {
	n := w.nodes[w.rng.IntN(3)]
	path := simPath(w.rng.IntN(5))
	switch op := w.rng.IntN(20); {
	case n.asleep && op < 12:
	case op < 7:
		w.upload(n, path)
	case op < 9:
		w.step(n, messages.DeleteFile{Path: path})
	case op == 9:
		if info, ok := w.step(n, messages.StatFile{Path: path, IncludeDeleted: true}).(messages.FileInfo); ok && info.Conflict {
			w.step(n, messages.ResolveConflict{Path: path, ContentHash: sim.Pick(w.rng, info.Heads)})
		}
	case op == 10:
		k := w.rng.IntN(5)
		w.step(n, messages.SetPolicy{KeepVersions: &k})
	case op == 11:
		w.restart(w.nodes[w.rng.IntN(len(w.nodes))])
	case op == 12:
		w.days(1 + w.rng.IntN(3))
	case op == 13 && w.rng.IntN(4) == 0 && !w.sleep:
		w.sleepWeek(w.nodes[w.rng.IntN(3)])
	case op == 14:
		i, j := w.rng.IntN(len(w.nodes)), w.rng.IntN(len(w.nodes))
		w.cut[[2]int{min(i, j), max(i, j)}] = !w.cut[[2]int{min(i, j), max(i, j)}]
	default:
		i, j := w.rng.IntN(len(w.nodes)), w.rng.IntN(len(w.nodes))
		if i != j {
			w.pull(i, j, 1+w.rng.IntN(4), w.rng.IntN(4) == 0, w.rng.IntN(4) == 0)
		}
	}
}

func (w *syncWorld) upload(n *syncNode, path string) {
	body := content(w.rng, w.bs)
	cmd := messages.CommitUpload{Path: path, Manifest: sealContent(vaultKey, body, w.bs).manifest, ContentType: "text/plain"}
	if h, ok := w.step(n, messages.GetHistory{Path: path}).(messages.FileHistory); ok && w.rng.IntN(3) == 0 {
		if v := sim.Pick(w.rng, h.Versions); !v.Deleted {
			cmd.Base = v.ContentHash
		}
	}
	if info, ok := w.step(n, cmd).(messages.FileInfo); ok {
		w.acked[info.Version] = path
	}
}

func (w *syncWorld) restart(n *syncNode) {
	sim.Sometimes("node restarted")
	w.run.Trace.At(w.now, n.name, 0, "restart", "", nil)
	w.reload(n)
}

// days lets days pass: every awake trusted node runs its retention sweep (to its end) each day.
func (w *syncWorld) days(d int) {
	for range d {
		w.now = w.now.Add(24 * time.Hour)
		for _, n := range w.nodes {
			if n.untrusted || n.asleep {
				continue
			}
			before := len(w.gone)
			w.step(n, host.Wake{Key: "retention"}) // one step sweeps up to 128 paths: all of them
			if len(w.gone) > before {
				sim.Sometimes("sweep pruned")
			}
		}
	}
}

// sleepWeek takes n off the mesh for a week while the others go on.
func (w *syncWorld) sleepWeek(n *syncNode) {
	sim.Sometimes("node slept a week")
	n.asleep, w.sleep = true, true
	w.run.Trace.At(w.now, n.name, 0, "sleep", "", nil)
	for range 7 {
		for range 4 {
			w.act()
		}
		w.days(1)
	}
	n.asleep, w.sleep = false, false
	w.reload(n)
}

// pull runs the exchange from node j into node i (docs/vault-sync.md § Exchange); cut short, it
// stops after its first apply, as a lost connection would; careless, it also fetches records
// dst has pruned (as a driver racing a prune would), which the apply must skip. It reports
// whether dst changed.
func (w *syncWorld) pull(i, j, batch int, short, careless bool) (changed bool) {
	dst, src := w.nodes[i], w.nodes[j]
	if dst.asleep || src.asleep || w.cut[[2]int{min(i, j), max(i, j)}] {
		sim.Sometimes("pull refused by a partition")
		return false
	}
	sd, _ := w.step(dst, messages.SyncSummary{Buckets: true}).(messages.VaultSummary)
	ss, _ := w.step(src, messages.SyncSummary{Buckets: true}).(messages.VaultSummary)
	var policy *messages.SyncPolicy
	if ss.Policy.Newer(sd.Policy) {
		policy = ss.Policy
	}
	diff := messages.DiffBuckets(sd, ss)
	if len(diff) == 0 && policy == nil {
		return false
	}
	theirs, mine := w.list(src, diff), w.list(dst, diff)
	have, pruned := map[messages.VersionAddr]bool{}, map[messages.VersionAddr]bool{}
	for _, a := range mine.Addrs {
		have[a] = true
	}
	for _, a := range mine.Pruned {
		have[a], pruned[a] = !careless, true
	}
	var want, prune []messages.VersionAddr
	for _, a := range theirs.Addrs {
		if !have[a] {
			want = append(want, a)
		}
	}
	for _, a := range theirs.Pruned {
		if !pruned[a] {
			prune = append(prune, a)
		}
	}
	var recs []messages.SyncRecord
	for len(want) > 0 {
		n := min(len(want), messages.MaxSyncGet)
		got, _ := w.step(src, messages.SyncGet{Addrs: want[:n]}).(messages.SyncRecords)
		want = append(got.Later, want[n:]...)
		recs = append(recs, got.Records...)
	}
	if src.untrusted && len(recs) > 0 {
		sim.Sometimes("untrusted node relayed records")
	}
	for first := true; first || len(recs) > 0; first = false {
		n := min(len(recs), batch)
		apply := messages.SyncApply{Records: recs[:n]}
		recs = recs[n:]
		if first {
			apply.Policy = policy
		}
		if len(recs) == 0 {
			apply.Pruned = prune
		}
		switch r := w.step(dst, apply).(type) {
		case error:
			w.fail("%s: apply from %s: %v", dst.name, src.name, r)
		case messages.SyncApplied:
			changed = changed || r.Added+r.Dropped+r.Learned > 0 || r.Policy
		}
		if short && len(recs) > 0 {
			sim.Sometimes("pull cut short")
			return changed
		}
	}
	return changed
}

func (w *syncWorld) list(n *syncNode, buckets []byte) messages.SyncListing {
	var all messages.SyncListing
	after := messages.VersionAddr{}
	for len(buckets) > 0 {
		page, _ := w.step(n, messages.SyncList{Buckets: buckets, After: after, Limit: 16}).(messages.SyncListing)
		all.Addrs, all.Pruned = append(all.Addrs, page.Addrs...), append(all.Pruned, page.Pruned...)
		if !page.More {
			break
		}
		after = page.Next
	}
	return all
}

// settle heals everything, pulls between every pair until a round changes nothing and checks
// that the nodes agree.
func (w *syncWorld) settle() error {
	clear(w.cut)
	for round := 0; ; round++ {
		if round == 8 {
			return fmt.Errorf("no convergence after 8 rounds")
		}
		changed := false
		for i := range w.nodes {
			for j := range w.nodes {
				if i != j && w.pull(i, j, messages.MaxSyncApply, false, false) {
					changed = true
				}
			}
		}
		if w.err != nil {
			return w.err
		}
		if !changed {
			break
		}
	}
	roots := map[[32]byte]bool{}
	for _, n := range w.nodes {
		roots[w.step(n, messages.SyncSummary{}).(messages.VaultSummary).Root] = true
	}
	if len(roots) != 1 {
		return fmt.Errorf("a quiet round left %d roots", len(roots))
	}
	return w.agree()
}

// agree checks converged nodes: no retained version pruned anywhere, every acknowledged version
// held or pruned, one view of every path, no path name on the untrusted node.
func (w *syncWorld) agree() error {
	var files map[string]string
	for _, n := range w.nodes {
		list := w.list(n, allBuckets())
		held := map[string]bool{}
		for _, a := range list.Addrs {
			held[a.String()] = true
			if w.gone[a.String()] {
				return fmt.Errorf("%s retains %.12s, which a node pruned", n.name, a)
			}
		}
		for addr, path := range w.acked {
			if !held[addr] && !w.gone[addr] {
				return fmt.Errorf("%s lost acknowledged version %.12s of %s", n.name, addr, path)
			}
		}
		if n.untrusted {
			if err := noNames(n.store); err != nil {
				return err
			}
			continue
		}
		got := map[string]string{}
		for _, f := range w.step(n, messages.ListFiles{IncludeDeleted: true}).(messages.FileList).Files {
			got[f.Path] = fmt.Sprintf("shown=%s heads=%v deleted=%v", f.Version, f.Heads, f.Deleted)
		}
		if files != nil && fmt.Sprint(files) != fmt.Sprint(got) {
			return fmt.Errorf("%s sees other paths:\n%v\n%v", n.name, files, got)
		}
		files = got
	}
	return nil
}

// noNames checks that no record of an untrusted node's store names a path.
func noNames(s *memstore.Store) error {
	snap, _ := s.Snapshot()
	defer snap.Release()
	var err error
	for _, b := range []persist.Bucket{persist.Catalog, persist.Vaults} {
		snap.Scan(b, "", "", func(k string, v []byte) bool {
			for i := range 5 {
				if name := simPath(i); strings.Contains(k, name) || strings.Contains(string(v), name) {
					err = fmt.Errorf("untrusted node: record %q holds the path %s", k, name)
				}
			}
			return err == nil
		})
	}
	return err
}

// simPath is the scenario's i-th path: long enough that no ciphertext holds it by chance.
func simPath(i int) string { return fmt.Sprintf("/sync/sim-file-%d.txt", i) }

func allBuckets() []byte {
	out := make([]byte, messages.SyncBuckets)
	for i := range out {
		out[i] = byte(i)
	}
	return out
}
