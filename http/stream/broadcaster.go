package stream

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/meshhold/meshhold/bus"
)

// DefaultQueueSize is how many events a client may have waiting before it is disconnected.
const DefaultQueueSize = 1024

// Why a client's stream ended.
var (
	ErrSlow   = errors.New("stream: client fell too far behind and was disconnected")
	ErrClosed = errors.New("stream: broadcaster closed")
)

// Broadcaster fans the daemon's one bus subscription out to every SSE client.
type Broadcaster struct {
	log     *slog.Logger
	sub     bus.Subscription
	mu      sync.Mutex // serialises changes of clients and closed
	clients atomic.Pointer[[]*Client]
	closed  bool
	dropped atomic.Uint64
}

// NewBroadcaster subscribes to every event on b; a nil log discards.
func NewBroadcaster(b bus.Bus, log *slog.Logger) (*Broadcaster, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bc := &Broadcaster{log: log}
	bc.clients.Store(&[]*Client{})
	sub, err := b.Subscribe(bus.AllEvents, bc.deliver)
	if err != nil {
		return nil, fmt.Errorf("stream: subscribe: %w", err)
	}
	bc.sub = sub
	return bc, nil
}

// deliver runs on the bus's goroutine: parse once, then a non-blocking send per matching client.
func (bc *Broadcaster) deliver(m bus.Msg) {
	ev, err := parseEnvelope(m.Data)
	if err != nil {
		bc.log.Warn("event not streamed", "subject", m.Subject, "err", err)
		return
	}
	var slow []*Client
	for _, c := range *bc.clients.Load() {
		if !c.wants(ev.Type) {
			continue
		}
		select {
		case c.ch <- ev:
		default:
			slow = append(slow, c)
		}
	}
	for _, c := range slow {
		if bc.remove(c, ErrSlow) {
			bc.dropped.Add(1)
			bc.log.Info("event stream client too slow; disconnected", "queue", cap(c.ch), "log_seq", ev.LogSeq)
		}
	}
}

// Register adds a client that receives the events of the given types (all when types is
// empty), with room for queue events (DefaultQueueSize when queue ≤ 0). It fails with ErrClosed
// once the broadcaster is closed.
func (bc *Broadcaster) Register(types []string, queue int) (*Client, error) {
	if queue <= 0 {
		queue = DefaultQueueSize
	}
	c := &Client{bc: bc, ch: make(chan *Event, queue), done: make(chan struct{})}
	if len(types) > 0 {
		c.types = make(map[string]struct{}, len(types))
		for _, t := range types {
			c.types[t] = struct{}{}
		}
	}
	bc.mu.Lock()
	defer bc.mu.Unlock()
	if bc.closed {
		return nil, ErrClosed
	}
	next := append(slices.Clip(*bc.clients.Load()), c)
	bc.clients.Store(&next)
	return c, nil
}

// remove takes c out of the fan-out and ends it with why; it reports whether c was still there.
func (bc *Broadcaster) remove(c *Client, why error) bool {
	bc.mu.Lock()
	cur := *bc.clients.Load()
	i := slices.Index(cur, c)
	if i >= 0 {
		next := slices.Delete(slices.Clone(cur), i, i+1)
		bc.clients.Store(&next)
	}
	bc.mu.Unlock()
	c.end(why)
	return i >= 0
}

// Close unsubscribes from the bus and ends every client with ErrClosed, so their handlers
// return and http.Server.Shutdown can drain; later Register calls fail. It is idempotent.
func (bc *Broadcaster) Close() {
	bc.mu.Lock()
	if bc.closed {
		bc.mu.Unlock()
		return
	}
	bc.closed = true
	all := *bc.clients.Swap(&[]*Client{})
	bc.mu.Unlock()
	if err := bc.sub.Unsubscribe(); err != nil {
		bc.log.Warn("event stream: unsubscribe", "err", err)
	}
	for _, c := range all {
		c.end(ErrClosed)
	}
}

// Clients is how many clients are registered.
func (bc *Broadcaster) Clients() int { return len(*bc.clients.Load()) }

// Dropped is how many clients were disconnected for falling behind.
func (bc *Broadcaster) Dropped() uint64 { return bc.dropped.Load() }
