package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"syscall"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/memblocks"
	"github.com/meshhold/meshhold/persist/memstore"
	"github.com/meshhold/meshhold/simulations/sim"
)

// nodeSim is one whole node in a bubble, restarted on its crash copies after every crash.
type nodeSim struct {
	r     *sim.Run
	opts  nodeOpts
	rng   *rand.Rand
	b     *sim.Bubble
	start time.Time
	m     *model
	err   error

	store  *watchedStore
	blocks *memblocks.Store
	n      *node.Node
	group  *sim.Group
	reg    *host.Manager
	vaults *host.Manager
	pins   *blockgc.Pins
	gc     *blockgc.Collector
	boot   int
	down   bool
	paused bool
	skew   time.Duration

	checked   int               // commits of the store the last check saw
	syncFails int               // failed block syncs seen so far
	ending    bool              // the clients are done: no more faults
	readBack  int               // the last boot whose read-back finished
	armed     bool              // the faults are armed (after the vault is created)
	lastLog   uint64            // last durable log_seq
	lastSeq   map[string]uint64 // last durable seq per entity
}

func newNodeSim(r *sim.Run, o nodeOpts) *nodeSim {
	s := &nodeSim{r: r, opts: o, rng: r.Stream("world"), m: newModel(), lastSeq: map[string]uint64{}, readBack: -1}
	s.b = &sim.Bubble{Lanes: sim.NewLanes(r.Stream("lanes")), OnTurn: s.turned}
	s.start = time.Now()
	s.store = &watchedStore{Store: memstore.New(), s: s}
	s.blocks = memblocks.New()
	return s
}

func (s *nodeSim) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("at %s (boot %d): %s", time.Since(s.start), s.boot, fmt.Sprintf(format, args...))
	}
}

func (s *nodeSim) record(entity string, seq uint64, typ, kind string, payload any) {
	s.r.Trace.Add(sim.Record{At: time.Since(s.start), Entity: entity, Seq: seq, Type: typ, Kind: kind, Digest: sim.Digest(payload)})
}

// boot starts a node on the current stores, with a new clock skew.
func (s *nodeSim) bootNode() {
	old := s.skew
	if s.opts.MaxSkew > 0 {
		s.skew = time.Duration(s.rng.Int64N(int64(2*s.opts.MaxSkew))) - s.opts.MaxSkew
	}
	if s.skew < old {
		sim.Sometimes("clock stepped back at a restart")
	}
	s.group = s.b.Lanes.Group("node")
	b := membus.New()
	_, _ = b.Subscribe(bus.AllEvents, func(m bus.Msg) { s.record("bus", uint64(s.boot), "publish", "", m.Data) })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := node.Start(node.Deps{Store: s.store, Blocks: s.blocks, Bus: b, NodeID: "sim", Clock: sim.SkewClock{Skew: s.skew},
		Logger: quiet, Lane: s.group.For})
	if err != nil {
		s.fail("start: %v", err)
		return
	}
	s.n = n
	if s.reg, err = n.Register(messages.VaultsKind, vault.LoadRegistry); err == nil {
		s.vaults, err = n.Register(messages.VaultKind, vault.Load(vault.Deps{Unseal: unseal, NodeID: "sim"}))
	}
	if err != nil {
		s.fail("register: %v", err)
		return
	}
	s.pins = blockgc.NewPins()
	s.gc, err = blockgc.New(s.blocks, s.pins, vault.GCCatalog{Store: s.store, Root: n.Root, Vaults: s.vaults},
		blockgc.Config{Grace: 5 * time.Minute, MaxPerRun: 64, Now: sim.SkewClock{Skew: s.skew}.Now, Logger: quiet})
	if err != nil {
		s.fail("collector: %v", err)
		return
	}
	s.down = false
	s.record("node", uint64(s.boot), "boot", "", s.skew.String())
}

// turned runs after every turn: right after a committing turn of the committer the node may
// crash (its last commit torn or not); otherwise the commit is settled and checked.
func (s *nodeSim) turned(group, name string) {
	s.record(group+"/"+name, 0, "turn", "", nil)
	if name != "committer" || s.down || s.store.commits == s.checked {
		return
	}
	s.checked = s.store.commits
	if s.armed && sim.Chance(s.rng, s.opts.CrashAfterCommit) {
		if sim.Chance(s.rng, s.opts.TornCrash) {
			s.store.Faults().TornLastCommit()
		}
		s.crash("crash right after a commit")
		return
	}
	s.store.settle()
	s.check(true)
}

// crash kills the node at once: its lanes never turn again, its stores keep what was durable
// (the last commit too unless torn; unsynced blocks as Survival draws); it boots again later.
func (s *nodeSim) crash(why string) {
	if s.down {
		return
	}
	sim.Sometimes("node crashed")
	if s.blocks.Unsynced() > 0 {
		sim.Sometimes("unsynced blocks lost at a crash")
	}
	s.record("node", uint64(s.boot), "crash", why, nil)
	s.group.Kill()
	s.n.System.Shutdown()
	torn := s.store.Faults().Fired().Torn
	next := s.store.Crash()
	if s.store.Faults().Fired().Torn > torn {
		sim.Sometimes("torn last commit at a crash")
		s.store.last = nil
	} else {
		s.store.settle()
	}
	s.store = &watchedStore{Store: next, s: s}
	s.checked = 0
	s.blocks = s.blocks.Crash()
	s.boot++
	s.down, s.paused = true, false
	s.b.After(time.Duration(s.rng.IntN(60))*time.Second, s.restart)
}

// restart boots the node again, checks the durable state and reads every acknowledged
// version back.
func (s *nodeSim) restart() {
	s.bootNode()
	if s.down {
		return
	}
	s.check(false)
	boot := s.boot
	s.readBackAll(func(ok bool) {
		if s.boot != boot {
			return
		}
		s.readBack = boot
		if ok {
			sim.Sometimes("acknowledged versions read back after a restart")
		}
	})
}

// logSeq checks a durable event's numbers: log_seq rises by one, each entity's seq too.
func (s *nodeSim) logSeq(ev *eventv1.Event) {
	if ev.LogSeq != s.lastLog+1 {
		s.fail("event %s #%d has log_seq %d after %d", ev.Entity, ev.Seq, ev.LogSeq, s.lastLog)
	}
	if ev.Seq != s.lastSeq[ev.Entity]+1 {
		s.fail("event %s has seq %d after %d", ev.Entity, ev.Seq, s.lastSeq[ev.Entity])
	}
	s.lastLog, s.lastSeq[ev.Entity] = ev.LogSeq, ev.Seq
}

// ask sends msg to the child id of mgr from a client goroutine (30 s virtual limit); then gets
// the reply (an error value for a failure) on the bubble's goroutine.
func (s *nodeSim) ask(who string, mgr *host.Manager, id string, msg any, then func(any)) {
	if s.down || s.err != nil {
		s.b.After(0, func() { then(messages.ErrUnavailable) })
		return
	}
	root := s.n.Root
	typ := fmt.Sprintf("%T", msg)
	s.b.Go(func() (any, error) {
		return host.AskChild[any](context.Background(), root, mgr, id, msg, 30*time.Second)
	}, func(res any, err error) {
		if err != nil {
			res = err
		}
		if errors.Is(err, messages.ErrUnavailable) {
			sim.Sometimes("ask timed out")
		}
		if errors.Is(asError(res), messages.ErrStorage) {
			sim.Sometimes("a failed commit answered ErrStorage")
		}
		s.record(who, 0, "reply:"+typ, sim.Kind(res), res)
		then(res)
	})
}

func asError(v any) error { err, _ := v.(error); return err }

func isNoSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }
