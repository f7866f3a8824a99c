package host

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/extensions"

	"github.com/meshhold/meshhold/messages"
)

// replyBox receives the one reply to a request. Boxes are registered once and reused, which
// spares each ask a future (a registry entry, a timer goroutine hop and a condition variable).
// A box whose request timed out is unregistered and dropped, so a late reply can never reach
// another request.
type replyBox struct {
	pid *actor.PID
	ch  chan any
}

// SendUserMessage takes the reply; anything more is dropped (a core replies once).
func (b *replyBox) SendUserMessage(_ *actor.PID, m any) {
	select {
	case b.ch <- actor.UnwrapEnvelopeMessage(m):
	default:
	}
}

func (b *replyBox) SendSystemMessage(*actor.PID, any) {}
func (b *replyBox) Stop(*actor.PID)                   {}

// replyPool holds the idle boxes of one actor system. It lives in the system (an extension),
// never in a global: a global would keep every stopped system alive (16 MB of process
// registry each), and inside a testing/synctest bubble its channels would pin the bubble.
type replyPool struct {
	sys  *actor.ActorSystem
	free chan *replyBox // nil: no pool installed, every ask registers a box of its own
}

var replyPoolID = extensions.NextExtensionID()

// ExtensionID names the pool among the system's extensions.
func (*replyPool) ExtensionID() extensions.ExtensionID { return replyPoolID }

// InstallReplyPool gives sys a pool of reusable reply boxes. Call it once, right after making
// the system and before any ask (the extension table is not safe to write concurrently);
// asks on a system without one still work, each with a box of its own.
func InstallReplyPool(sys *actor.ActorSystem) {
	sys.Extensions.Register(&replyPool{sys: sys, free: make(chan *replyBox, 1024)})
}

func poolOf(sys *actor.ActorSystem) *replyPool {
	if p, ok := sys.Extensions.Get(replyPoolID).(*replyPool); ok {
		return p
	}
	return &replyPool{sys: sys}
}

func (p *replyPool) get() *replyBox {
	select {
	case b := <-p.free:
		return b
	default:
	}
	b := &replyBox{ch: make(chan any, 1)}
	b.pid, _ = p.sys.ProcessRegistry.Add(b, "reply"+p.sys.ProcessRegistry.NextId())
	return b
}

func (p *replyPool) put(b *replyBox) {
	select {
	case p.free <- b: // a nil channel (no pool) is never ready
	default:
		p.sys.ProcessRegistry.Remove(b.pid)
	}
}

func (p *replyPool) drop(b *replyBox) { p.sys.ProcessRegistry.Remove(b.pid) }

// request sends msg to pid and waits at most d (and for ctx) for its reply.
func request(ctx context.Context, root *actor.RootContext, pid *actor.PID, msg any, limit time.Duration) (any, error) {
	d := limit
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		d = time.Until(dl)
	}
	if d <= 0 {
		return nil, context.DeadlineExceeded
	}
	pool := poolOf(root.ActorSystem())
	box := pool.get()
	root.RequestWithCustomSender(pid, msg, box.pid)
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case res := <-box.ch:
		pool.put(box)
		if _, dead := res.(*actor.DeadLetterResponse); dead {
			return nil, errNoActor
		}
		return res, nil
	case <-timer.C:
		pool.drop(box)
		return nil, fmt.Errorf("%w: %T got no answer in %s", messages.ErrUnavailable, msg, d.Round(time.Millisecond))
	case <-ctx.Done():
		pool.drop(box)
		return nil, ctx.Err()
	}
}
