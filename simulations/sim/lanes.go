package sim

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// Lanes is a seeded dispatcher for whole nodes inside a testing/synctest bubble. Every actor
// gets its own lane (a protoactor Dispatcher that only enqueues); the harness runs ready turns
// one at a time, picked by the seed from the ready set sorted by group and actor name, after
// synctest.Wait(). Sorting is what makes it reproducible: goroutines (timers, asks) enqueue in
// racy order, the sorted set does not care.
type Lanes struct {
	mu    sync.Mutex
	rng   *rand.Rand
	ready []turn
	kick  chan struct{}
	def   *Group
	dead  bool // every group killed (Abandon)
}

// Group is the lanes of one node: it can be paused (takes no turns) or killed (a crash: its
// queued turns are dropped and new ones ignored).
type Group struct {
	l      *Lanes
	name   string
	paused bool
	dead   bool
}

type turn struct {
	g    *Group
	name string
	fn   func()
}

// NewLanes returns an empty dispatcher whose picks come from rng.
func NewLanes(rng *rand.Rand) *Lanes {
	l := &Lanes{rng: rng, kick: make(chan struct{}, 1)}
	l.def = &Group{l: l}
	return l
}

// For gives the actor name its own lane in the default group (node.Deps.Lane for one node).
func (l *Lanes) For(name string) []actor.PropsOption { return l.def.For(name) }

// Group returns a new group of lanes named name (a node; a restarted node gets a new group).
func (l *Lanes) Group(name string) *Group { return &Group{l: l, name: name} }

// For gives the actor name its own lane in g, with a mailbox that takes one message per turn.
func (g *Group) For(name string) []actor.PropsOption {
	return []actor.PropsOption{actor.WithDispatcher(lane{g, name}), actor.WithMailbox(newMailbox)}
}

// Pause stops (true) or resumes (false) the group's turns; its queued turns wait.
func (g *Group) Pause(p bool) {
	g.l.mu.Lock()
	g.paused = p
	g.l.mu.Unlock()
	g.l.Kick()
}

// Kill drops the group's queued turns and ignores every later one: the node is gone.
func (g *Group) Kill() {
	g.l.mu.Lock()
	defer g.l.mu.Unlock()
	g.dead = true
	g.l.ready = slices.DeleteFunc(g.l.ready, func(t turn) bool { return t.g == g })
}

// KillAll kills every group, present and future.
func (l *Lanes) KillAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dead = true
	l.ready = nil
}

type lane struct {
	g    *Group
	name string
}

func (d lane) Schedule(fn func()) {
	l := d.g.l
	l.mu.Lock()
	if !d.g.dead && !l.dead {
		l.ready = append(l.ready, turn{d.g, d.name, fn})
	}
	l.mu.Unlock()
	l.Kick()
}

func (d lane) Throughput() int { return 1 << 30 }

// Kick wakes a harness waiting in Woken.
func (l *Lanes) Kick() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Woken is signalled whenever a lane gets work or a group resumes.
func (l *Lanes) Woken() <-chan struct{} { return l.kick }

// RunOne runs one ready turn of a group that is not paused, picked by the seed from the sorted
// ready set, and returns its group and lane names; ok is false when no turn is ready.
func (l *Lanes) RunOne() (group, name string, ok bool) {
	l.mu.Lock()
	slices.SortStableFunc(l.ready, func(a, b turn) int { return cmp.Or(cmp.Compare(a.g.name, b.g.name), cmp.Compare(a.name, b.name)) })
	var idx []int
	for i, t := range l.ready {
		if !t.g.paused {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		l.mu.Unlock()
		return "", "", false
	}
	i := idx[l.rng.IntN(len(idx))]
	t := l.ready[i]
	l.ready = slices.Delete(l.ready, i, i+1)
	l.mu.Unlock()
	t.fn()
	return t.g.name, t.name, true
}

// Ready counts the queued turns, paused groups included.
func (l *Lanes) Ready() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ready)
}
