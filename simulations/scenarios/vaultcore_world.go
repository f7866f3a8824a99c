package scenarios

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/memblocks"
	"github.com/meshhold/meshhold/persist/memstore"
	"github.com/meshhold/meshhold/simulations/sim"
)

// The entities of the vault scenarios.
var (
	registryEntity = messages.VaultsKind + "/" + messages.RegistryID
	vaultEntity    = messages.VaultKind + "/" + vaultID
)

// world is one node as the vault cores see it, driven like the host drives them: each message
// is a snapshot → Step → (sync blocks → commit) → timers → reply, one at a time, at virtual time.
type world struct {
	run   *sim.Run
	opts  vaultOpts
	trace *sim.Trace
	rng   *rand.Rand // crash points and faults decided by the world
	q     sim.Queue[func()]
	now   time.Time
	skew  time.Duration
	boot  int
	down  bool

	store  *memstore.Store
	blocks *memblocks.Store
	pins   *blockgc.Pins
	gc     *blockgc.Collector
	cores  map[string]*slot
	m      *model
	err    error
	writes int  // writes of the last delivered step (0: it wrote nothing)
	calm   bool // no crash points (while the vault is created)

	restarting map[string]bool        // entities waiting for their supervisor's backoff
	failures   map[string][]time.Time // recent failures per entity, for the backoff
}

// slot is a loaded core with what its host keeps: the entity's event seq and armed timers.
type slot struct {
	core   host.Core
	seq    uint64
	timers map[string]uint64
}

// errCrashed marks a step cut by a crash: nothing of it was acknowledged.
var errCrashed = errors.New("sim: the node crashed")

func newWorld(r *sim.Run, o vaultOpts) *world {
	w := &world{run: r, opts: o, trace: r.Trace, rng: r.Stream("world"), now: sim.Epoch, m: newModel()}
	w.store = memstore.New()
	w.blocks = memblocks.New(memblocks.WithClock(w.nodeNow))
	w.start()
	return w
}

// nodeNow is the node's clock: virtual time plus this boot's skew.
func (w *world) nodeNow() time.Time { return w.now.Add(w.skew) }

// start boots the node on the current stores: a fresh pin set and collector, no core loaded.
func (w *world) start() {
	w.down = false
	w.cores = map[string]*slot{}
	w.restarting, w.failures = map[string]bool{}, map[string][]time.Time{}
	w.pins = blockgc.NewPins()
	gc, err := blockgc.New(w.blocks, w.pins, gcCatalog{GCCatalog: vault.GCCatalog{Store: w.store}, w: w},
		blockgc.Config{Grace: 10 * time.Minute, MaxPerRun: 64, Now: w.nodeNow, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	w.gc = gc
}

// fail records the first broken invariant.
func (w *world) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("at %s (boot %d): %s", w.now.Sub(sim.Epoch), w.boot, fmt.Sprintf(format, args...))
	}
}

func (w *world) record(entity string, seq uint64, typ, kind string, payload any) {
	w.trace.At(w.now, entity, seq, typ, kind, payload)
}

// slot returns entity's core, loading it from the committed records (then stepping Recovered)
// when the node has not loaded it since it started.
func (w *world) slot(entity string) *slot {
	if s := w.cores[entity]; s != nil {
		return s
	}
	snap, err := w.store.Snapshot()
	if err != nil {
		w.fail("snapshot: %v", err)
		return nil
	}
	load := vault.LoadRegistry
	if strings.HasPrefix(entity, messages.VaultKind+"/") {
		load = vault.Load(vault.Deps{Unseal: unseal, NodeID: "sim"})
	}
	core, err := load(entity, snap)
	seqRaw, _ := snap.Get(persist.Seqs, entity)
	snap.Release()
	if err != nil {
		w.fail("load %s: %v", entity, err)
		return nil
	}
	s := &slot{core: core, seq: decodeBE(seqRaw), timers: map[string]uint64{}}
	w.cores[entity] = s
	w.record(entity, s.seq, "load", "", nil)
	w.step(entity, s, host.Recovered{})
	return s
}

// deliver steps msg on entity; ok is false when the node is down or crashed during the step
// (then nothing was acknowledged).
func (w *world) deliver(entity string, msg any) (reply any, ok bool) {
	if w.down || w.err != nil {
		return nil, false
	}
	if w.restarting[entity] {
		return messages.ErrUnavailable, true
	}
	boot := w.boot
	s := w.slot(entity)
	if s == nil || w.boot != boot || w.down || w.cores[entity] != s {
		return nil, false
	}
	return w.step(entity, s, msg)
}

// step is one host turn for msg: its writes (and the entity's seq) become durable, blocks
// first, before any effect leaves: events, timers, then the reply.
func (w *world) step(entity string, s *slot, msg any) (any, bool) {
	snap, err := w.store.Snapshot()
	if err != nil {
		w.fail("snapshot: %v", err)
		return nil, false
	}
	out := s.core.Step(w.nodeNow(), msg, snap)
	snap.Release()
	writes := out.Writes
	if len(out.Events) > 0 {
		writes = append(writes[:len(writes):len(writes)], persist.Write{Bucket: persist.Seqs, Key: entity, Value: encodeBE(s.seq + uint64(len(out.Events)))})
	}
	w.writes = len(writes)
	typ := fmt.Sprintf("msg:%T", msg)
	if len(writes) > 0 {
		switch err := w.durable(entity, s, writes, out.Events); {
		case errors.Is(err, errCrashed):
			return nil, false
		case err != nil:
			// The host answers ErrStorage and panics; its supervisor restarts it from disk.
			w.record(entity, s.seq, typ, "error", messages.ErrStorage)
			w.restart(entity)
			return messages.ErrStorage, true
		}
	}
	for _, ev := range out.Events {
		s.seq++
		w.record(entity, s.seq, "event:"+ev.Type, "", ev.Data)
		noteEvent(ev.Type)
	}
	w.arm(entity, s, out)
	w.record(entity, s.seq, typ, sim.Kind(out.Reply), out.Reply)
	if len(writes) > 0 {
		w.check()
	}
	return out.Reply, true
}

// durable makes a step's writes durable as the committer does (sync the blocks, then commit
// the records), with the crash points and store faults the seed picked.
func (w *world) durable(entity string, s *slot, writes []persist.Write, events []host.Event) error {
	if w.calm {
		if err := w.blocks.Sync(); err != nil {
			return err
		}
		if err := w.store.Commit(writes); err != nil {
			return err
		}
		w.m.committed(w, entity, s.seq, writes, events)
		return nil
	}
	if sim.Chance(w.rng, w.opts.CrashInStep) {
		w.crash("crash before the block sync")
		return errCrashed
	}
	if err := w.blocks.Sync(); err != nil {
		sim.Sometimes("block sync failed")
		w.record("node", uint64(w.boot), "fault:sync", "error", err)
		return err
	}
	if sim.Chance(w.rng, w.opts.CrashInStep) {
		w.crash("crash after the block sync, before the commit")
		return errCrashed
	}
	if err := w.store.Commit(writes); err != nil {
		sim.Sometimes("store commit failed")
		if errors.Is(err, memstore.ErrNoSpace) {
			sim.Sometimes("store out of space")
		}
		w.record("node", uint64(w.boot), "fault:commit", "error", err)
		return err
	}
	if !sim.Chance(w.rng, w.opts.CrashInStep) {
		w.m.committed(w, entity, s.seq, writes, events)
		return nil
	}
	if sim.Chance(w.rng, w.opts.TornCrash) {
		w.store.Faults().TornLastCommit()
	}
	torn := w.store.Faults().Fired().Torn
	w.crash("crash after the commit, before the reply")
	if w.store.Faults().Fired().Torn > torn {
		sim.Sometimes("torn last commit at a crash")
	} else {
		w.m.committed(w, entity, s.seq, writes, events)
	}
	return errCrashed
}

// arm cancels and arms the step's timers; a timer fires at the virtual time when the node's
// clock reads its At, unless re-armed, cancelled, or its core or node restarted meanwhile.
func (w *world) arm(entity string, s *slot, out host.Output) {
	for _, k := range out.Cancel {
		delete(s.timers, k)
	}
	boot := w.boot
	for _, t := range out.Timers {
		at := t.At.Add(-w.skew)
		if at.Before(w.now) {
			at = w.now
		}
		var id uint64
		id = w.q.Push(at, func() {
			if w.boot != boot || w.cores[entity] != s || s.timers[t.Key] != id {
				return
			}
			delete(s.timers, t.Key)
			w.deliver(entity, host.Wake{Key: t.Key})
		})
		s.timers[t.Key] = id
	}
}

// noteEvent marks the "sometimes" kinds an event shows.
func noteEvent(typ string) {
	switch typ {
	case "conflict_detected":
		sim.Sometimes("conflict created")
	case "conflict_resolved":
		sim.Sometimes("conflict resolved")
	case "file_restored":
		sim.Sometimes("file restored")
	case "file_deleted":
		sim.Sometimes("file deleted")
	case "versions_pruned":
		sim.Sometimes("versions pruned")
	case "vault_renamed":
		sim.Sometimes("vault renamed")
	}
}

func encodeBE(n uint64) []byte {
	return []byte{byte(n >> 56), byte(n >> 48), byte(n >> 40), byte(n >> 32), byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func decodeBE(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

// restart is the supervisor's answer to a failed commit (actors/node.DefaultBackoff): the core
// is reloaded from disk after 10 ms, doubling with each failure within a minute up to 5 s;
// meanwhile its callers are told it is unavailable.
func (w *world) restart(entity string) {
	delete(w.cores, entity)
	recent := []time.Time{w.now}
	for _, t := range w.failures[entity] {
		if w.now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	w.failures[entity] = recent
	delay := min(10*time.Millisecond<<min(len(recent)-1, 20), 5*time.Second)
	w.restarting[entity] = true
	boot := w.boot
	w.q.Push(w.now.Add(delay), func() {
		if w.boot != boot {
			return
		}
		delete(w.restarting, entity)
		sim.Sometimes("core reloaded after a failed commit")
		w.load(entity)
	})
}
