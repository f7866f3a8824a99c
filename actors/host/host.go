package host

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
)

// Deps are the ports every host gets; tests, simulations and the daemon build different ones.
type Deps struct {
	Clock     Clock
	Store     persist.Store // committed records; read through snapshots
	Committer *actor.PID    // the node's one writer, which also publishes committed events
	Logger    *slog.Logger
}

// staged is one Step waiting for durability before its effects leave the actor.
type staged struct {
	out    Output
	sender *actor.PID
}

type flushNow struct{}

type hostActor struct {
	entity  string
	load    Load
	deps    Deps
	core    Core
	view    *overlay
	seq     uint64   // the entity's last event seq, staged ones included
	pending []staged // stepped, waiting for the next batch
	flying  []staged // in the one batch the committer holds for us
	batch   uint64   // id of the batch in flight (or the last one)
	queued  bool     // a flushNow is in the mailbox
	timers  map[string]scheduler.CancelFunc
	sched   *scheduler.TimerScheduler
}

// Props hosts the core of entity ("<kind>/<id>"); opts may set a dispatcher (the simulator's
// lanes) or a supervisor for its children.
func Props(entity string, load Load, deps Deps, opts ...actor.PropsOption) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &hostActor{entity: entity, load: load, deps: deps}
	}, opts...)
}

// Receive never blocks: store reads are snapshot reads, writes go to the committer.
func (h *hostActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		h.start(ctx)
	case *actor.Stopping, *actor.Restarting:
		for _, cancel := range h.timers {
			cancel()
		}
	case actor.SystemMessage, actor.AutoReceiveMessage:
	case flushNow:
		h.queued = false
		h.flush(ctx)
	case Committed:
		h.committed(ctx, m)
	case CommitFailed:
		for _, it := range append(h.flying, h.pending...) {
			if it.sender != nil {
				ctx.Send(it.sender, messages.ErrStorage)
			}
		}
		panic(errStore{fmt.Errorf("commit of %s: %w", h.entity, m.Err)})
	default:
		h.step(ctx, m, ctx.Sender())
	}
}

func (h *hostActor) start(ctx actor.Context) {
	h.timers = map[string]scheduler.CancelFunc{}
	h.sched = scheduler.NewTimerScheduler(ctx)
	h.view = &overlay{store: h.deps.Store, staged: map[recordKey]*persist.Write{}}
	defer h.view.release()
	if v, ok := h.view.Get(persist.Seqs, h.entity); ok {
		h.seq = decodeSeq(v)
	}
	core, err := h.load(h.entity, h.view)
	if err != nil {
		panic(fmt.Errorf("host: load %s: %w", h.entity, err))
	}
	h.core = core
	h.step(ctx, Recovered{}, nil)
}

func (h *hostActor) step(ctx actor.Context, msg any, sender *actor.PID) {
	now := h.deps.Clock.Now()
	out := h.core.Step(now, msg, h.view)
	h.view.release()
	it := staged{out: out, sender: sender}
	if len(out.Events) > 0 {
		it.out.Writes = append(out.Writes[:len(out.Writes):len(out.Writes)],
			persist.Write{Bucket: persist.Seqs, Key: h.entity, Value: encodeSeq(h.seq + uint64(len(out.Events)))})
	}
	if len(it.out.Writes) > 0 {
		h.view.stage(it.out.Writes)
		h.seq += uint64(len(out.Events))
		h.pending = append(h.pending, it)
		if !h.queued && len(h.flying) == 0 {
			h.queued = true
			ctx.Send(ctx.Self(), flushNow{}) // after every message already in the mailbox
		}
		return
	}
	// A read may have seen staged writes: it is not answered before they are durable, unless
	// the core says its answer does not depend on them.
	switch {
	case out.Immediate:
		h.release(ctx, it)
	case len(h.pending) > 0:
		h.pending = append(h.pending, it)
	case len(h.flying) > 0:
		h.flying = append(h.flying, it)
	default:
		h.release(ctx, it)
	}
}

// flush hands everything pending to the committer as one batch. One batch flies at a time, so
// a failure concerns only the batch in flight and what waits behind it.
func (h *hostActor) flush(ctx actor.Context) {
	if len(h.pending) == 0 || len(h.flying) > 0 {
		return
	}
	h.batch++
	b := Batch{ID: h.batch, Entity: h.entity, ReplyTo: ctx.Self()}
	seq := h.seq
	for _, it := range h.pending {
		seq -= uint64(len(it.out.Events))
	}
	now := h.deps.Clock.Now().UnixMilli()
	for _, it := range h.pending {
		b.Writes = append(b.Writes, it.out.Writes...)
		for _, ev := range it.out.Events {
			seq++
			b.Events = append(b.Events, &eventv1.Event{Type: ev.Type, Entity: h.entity, Seq: seq, TsMs: now, Data: marshalData(ev.Data)})
		}
	}
	h.flying, h.pending = h.pending, nil
	ctx.Send(h.deps.Committer, b)
}

func (h *hostActor) committed(ctx actor.Context, m Committed) {
	if m.ID != h.batch || len(h.flying) == 0 {
		panic(fmt.Errorf("host %s: commit of batch %d, want %d", h.entity, m.ID, h.batch))
	}
	for _, it := range h.flying {
		h.release(ctx, it)
	}
	h.flying = nil
	h.view.staged = map[recordKey]*persist.Write{} // what flew is in the store; re-stage what waits
	for _, it := range h.pending {
		h.view.stage(it.out.Writes)
	}
	h.flush(ctx)
}

// release performs a durable Step's remaining effects in order: arm timers, then reply.
func (h *hostActor) release(ctx actor.Context, it staged) {
	for _, key := range it.out.Cancel {
		if cancel, ok := h.timers[key]; ok {
			cancel()
			delete(h.timers, key)
		}
	}
	if len(it.out.Timers) > 0 {
		now := h.deps.Clock.Now()
		for _, t := range it.out.Timers {
			if cancel, ok := h.timers[t.Key]; ok {
				cancel()
			}
			h.timers[t.Key] = h.sched.SendOnce(t.At.Sub(now), ctx.Self(), Wake{Key: t.Key})
		}
	}
	if it.out.Reply != nil && it.sender != nil {
		ctx.Send(it.sender, it.out.Reply)
	}
}

func marshalData(v any) []byte {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Errorf("host: event data %T: %w", v, err)) // a programming error in a core
	}
	return b
}
