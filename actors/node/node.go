// Package node is one daemon's actor runtime: the actor system, the committer, a manager per
// actor kind, and the supervision policy (supervision.go) they all share.
package node

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/persist"
)

// Deps are the node's ports.
type Deps struct {
	Store  persist.Store
	Blocks persist.BlockStore // optional
	Bus    bus.Bus            // optional
	NodeID string
	Clock  host.Clock
	Logger *slog.Logger
	// EventLogMax bounds the event log (0: host.DefaultEventLogMax).
	EventLogMax uint64
	// Lane returns extra props options for the actor named name (its entity string); the
	// simulator gives every actor its own seeded dispatcher lane here.
	Lane func(name string) []actor.PropsOption
	// Stats is told about every group commit.
	Stats func(host.CommitStats)
	// Hooks derive records from each commit group's events in the same transaction.
	Hooks []host.CommitHook
}

// Node runs the actors of one daemon.
type Node struct {
	System    *actor.ActorSystem
	Root      *actor.RootContext
	Committer *actor.PID
	deps      Deps
	host      host.Deps
	mu        sync.Mutex
	managers  map[string]*host.Manager
}

// Start spawns the actor system and the committer.
func Start(d Deps) (*Node, error) {
	if d.Clock == nil {
		d.Clock = host.SystemClock{}
	}
	if d.Lane == nil {
		d.Lane = productionLanes
	}
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(warnAndAbove{d.Logger.Handler()}).With("subsystem", "actors")
	}))
	host.InstallReplyPool(sys)
	n := &Node{System: sys, Root: sys.Root, deps: d, managers: map[string]*host.Manager{}}
	cdeps := host.CommitterDeps{Store: d.Store, Blocks: d.Blocks, Bus: d.Bus, NodeID: d.NodeID, EventLogMax: d.EventLogMax, Logger: d.Logger, Stats: d.Stats, Hooks: d.Hooks}
	pid, err := sys.Root.SpawnNamed(host.CommitterProps(cdeps, d.Lane(committerName)...), committerName)
	if err != nil {
		return nil, fmt.Errorf("start committer: %w", err)
	}
	n.Committer = pid
	n.host = host.Deps{Clock: d.Clock, Store: d.Store, Committer: pid, Logger: d.Logger}
	return n, nil
}

// Register spawns the manager of kind, whose children host cores built by load; the children
// are supervised one-for-one with backoff.
func (n *Node) Register(kind string, load host.Load) (*host.Manager, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, dup := n.managers[kind]; dup {
		return nil, fmt.Errorf("node: kind %q registered twice", kind)
	}
	child := func(entity string) *actor.Props {
		return host.Props(entity, load, n.host, n.deps.Lane(entity)...)
	}
	opts := append(n.deps.Lane(kind), actor.WithSupervisor(DefaultBackoff(n.deps.Logger)))
	m := &host.Manager{}
	pid, err := n.Root.SpawnNamed(host.ManagerProps(kind, child, m, opts...), kind)
	if err != nil {
		return nil, fmt.Errorf("node: start %s manager: %w", kind, err)
	}
	m.PID = pid
	n.managers[kind] = m
	return m, nil
}

// Manager returns the manager of kind, or nil.
func (n *Node) Manager(kind string) *host.Manager {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.managers[kind]
}

// Flush waits until everything handed to the committer so far is durable.
func (n *Node) Flush(ctx context.Context) error {
	_, err := host.Ask[host.Flushed](ctx, n.Root, n.Committer, host.Flush{}, maxWait(ctx))
	return err
}

// Stop stops every manager and its children, then flushes the committer and stops it. Call it
// after the HTTP server has drained, so no acknowledged request is still in flight.
func (n *Node) Stop(ctx context.Context) error {
	n.mu.Lock()
	kinds := make([]string, 0, len(n.managers))
	for k := range n.managers {
		kinds = append(kinds, k)
	}
	n.mu.Unlock()
	slices.Sort(kinds)
	for _, k := range kinds {
		if err := n.Root.PoisonFuture(n.Manager(k).PID).Wait(); err != nil {
			n.deps.Logger.Warn("stop manager", "kind", k, "err", err)
		}
	}
	err := n.Flush(ctx)
	_ = n.Root.PoisonFuture(n.Committer).Wait()
	n.System.Shutdown()
	return err
}

// productionLanes runs every actor but the committer on protoactor's synchronized dispatcher:
// whoever posts to an idle mailbox drains it on its own goroutine. Cores never block, so this
// only saves a goroutine hand-off per message (GET /whoami: 0.52× → 0.65× a bare handler's
// req/s; group commit 4.5× → 5.5–6× a raw fsync loop; docs/benchmarks.md). The committer, the
// one actor whose turn blocks on the disk, keeps a goroutine of its own.
func productionLanes(name string) []actor.PropsOption {
	if name == committerName {
		return nil
	}
	return []actor.PropsOption{actor.WithDispatcher(inline)}
}

// inline is the synchronized dispatcher with protoactor's default throughput, after which the
// draining goroutine yields.
var inline = actor.NewSynchronizedDispatcher(300)

// committerName is the committer's actor name and lane.
const committerName = "committer"

// warnAndAbove keeps the actor system's own INFO chatter out of the daemon's log.
type warnAndAbove struct{ slog.Handler }

func (h warnAndAbove) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnAndAbove) WithAttrs(as []slog.Attr) slog.Handler {
	return warnAndAbove{h.Handler.WithAttrs(as)}
}

func (h warnAndAbove) WithGroup(name string) slog.Handler {
	return warnAndAbove{h.Handler.WithGroup(name)}
}
