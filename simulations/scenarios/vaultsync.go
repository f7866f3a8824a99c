package scenarios

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/memblocks"
	"github.com/meshhold/meshhold/persist/memstore"
	"github.com/meshhold/meshhold/simulations/sim"
)

// VaultSync is the tier-1 replication simulation (docs/vault-sync.md): three trusted nodes and
// one untrusted node hold one vault, each its own catalog store, block store and cores; clients
// upload (blocks stored and synced before the commit), edit stale bases into conflicts, delete,
// resolve and change the policy at random trusted nodes while pulls run between random pairs,
// blocks before records as p2p/vaultsync's Puller does — some cut short (after an apply, or
// between the blocks and the records), some across partitions that refuse them, some whose
// blocks are damaged or missing at their holders or corrupted in transit (the record waits) —
// nodes restart (block stores keep what was synced, cores reload from their records), days pass
// with retention sweeps, and a node sleeps through a week. Every committed step passes
// vault.CheckInvariants. When the faults stop, pulls between every pair must bring every
// retained version to two complete copies within syncRFRounds rounds and then converge: one
// root, no node retaining a version any node pruned, the same heads and shown head on every
// trusted node, every acknowledged version still held everywhere unless pruned and reading back
// its bytes, every held record's blocks present and intact, and neither a path name nor the
// content marker in the untrusted node's records or blocks.
var VaultSync = sim.Scenario{
	Name: "vault-sync",
	Test: "TestVaultSync",
	Sometimes: []string{
		"sync merged a conflict", "sync dropped a version a peer pruned", "sync skipped a pruned record",
		"sync adopted a policy", "untrusted node relayed records", "pull cut short", "pull refused by a partition",
		"node restarted", "node slept a week", "sweep pruned",
		"pull cut between blocks and records", "block damaged at its holder", "block missing at its holder",
		"corrupt block refused in transit", "block fetched from another holder", "record waited for its blocks",
		"waiting record completed from another holder", "untrusted node relayed blocks", "torn block replaced by a pull",
	},
	Play: playVaultSync,
}

// syncMarker begins every uploaded body, so that plaintext is recognizable wherever it lands;
// at 8 bytes it fits the smallest block, so the first block's plaintext always holds it whole.
const syncMarker = "<plain!>"

// syncNode is one node: its stores and the vault core as its host would run it.
type syncNode struct {
	name      string
	untrusted bool
	store     *memstore.Store
	blocks    *memblocks.Store
	core      host.Core
	asleep    bool
}

// syncAcked is an acknowledged upload: its path and the body it must read back as.
type syncAcked struct {
	path, body string
}

// waitKey is a record that node could not apply because its blocks were not to be had.
type waitKey struct {
	node int
	addr messages.VersionAddr
}

type syncWorld struct {
	run   *sim.Run
	rng   *rand.Rand
	now   time.Time
	nodes []*syncNode
	cut   map[[2]int]bool      // partitioned pairs (lower index first)
	acked map[string]syncAcked // version addr (hex) → the upload, every acknowledged local version
	gone  map[string]bool      // addrs any node put in its pruned set
	wait  map[waitKey]int      // records waiting for their blocks → the peer they came from
	bs    int                  // block size
	sleep bool                 // a node sleeps through a week
	quiet bool                 // settling: no faults, every other node a holder
	err   error

	faults       *rand.Rand // block faults: which blocks are damaged, where, how
	applyWaiting bool       // the bug blocks-before-records prevents, planted (playSync)
}

func playVaultSync(r *sim.Run) error { return playSync(r, false) }

// playSync plays one seed; applyWaiting is a planted bug for the scenario's own test: records
// apply whether or not their blocks arrived.
func playSync(r *sim.Run, applyWaiting bool) error {
	w := &syncWorld{run: r, rng: r.Stream("world"), now: sim.Epoch, cut: map[[2]int]bool{}, acked: map[string]syncAcked{},
		gone: map[string]bool{}, wait: map[waitKey]int{}, bs: 8 << r.Stream("options").IntN(3),
		faults: r.Stream("block-faults"), applyWaiting: applyWaiting}
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
	n := &syncNode{name: name, untrusted: untrusted, store: memstore.New(), blocks: memblocks.New(memblocks.WithClock(w.clock))}
	n.blocks.Faults().SetRand(w.run.Stream("blocks-" + name))
	n.blocks.Faults().SurviveCrash(crashSurvival)
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

// step runs one message at node n as its host would (snapshot, step, commit), traces it and,
// when it wrote, checks the committed catalog.
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
	if len(out.Writes) == 0 {
		return out.Reply // the catalog is the one checked after the last write
	}
	snap, _ = n.store.Snapshot()
	defer snap.Release()
	if err := vault.CheckInvariants(snap, vaultID, vaultKey); err != nil {
		w.fail("%s after %T: %v", n.name, msg, err)
	}
	return out.Reply
}

// crashSurvival is what a restart does to a block written since the store's last sync: kept
// whole, left as an empty file (which Has reports absent), torn (a non-empty prefix, which the
// pull must verify and replace, as Puller.present does) or lost.
var crashSurvival = memblocks.Survival{Intact: 0.3, Empty: 0.2, Torn: 0.2}

// clock is the block stores' clock: virtual time.
func (w *syncWorld) clock() time.Time { return w.now }

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
			w.pull(i, j, 1+w.rng.IntN(4), pullCut(max(0, w.rng.IntN(8)-5)), w.rng.IntN(4) == 0)
		}
	}
}

// upload ingests a body at n as http/files does: its sealed blocks stored (a present one
// verified) and synced, then the manifest committed.
func (w *syncWorld) upload(n *syncNode, path string) {
	body := syncMarker + content(w.rng, w.bs)
	s := sealContent(vaultKey, body, w.bs)
	cmd := messages.CommitUpload{Path: path, Manifest: s.manifest, ContentType: "text/plain"}
	if h, ok := w.step(n, messages.GetHistory{Path: path}).(messages.FileHistory); ok && w.rng.IntN(3) == 0 {
		if v := sim.Pick(w.rng, h.Versions); !v.Deleted {
			cmd.Base = v.ContentHash
		}
	}
	if _, err := storeBlocks(n.blocks, func(messages.BlockAddr) {}, s); err != nil {
		w.fail("%s: store the blocks of %s: %v", n.name, path, err)
		return
	}
	if err := n.blocks.Sync(); err != nil {
		w.fail("%s: sync the blocks of %s: %v", n.name, path, err)
		return
	}
	if info, ok := w.step(n, cmd).(messages.FileInfo); ok {
		w.acked[info.Version] = syncAcked{path: path, body: body}
	}
}

// restart crashes n and starts it again: its block store keeps what was synced (an unsynced
// block fetched by a pull cut short is lost, or survives whole or as an empty file), its core
// reloads from its records.
func (w *syncWorld) restart(n *syncNode) {
	sim.Sometimes("node restarted")
	w.run.Trace.At(w.now, n.name, 0, "restart", "", nil)
	n.blocks = n.blocks.Crash()
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
