package mesh

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	pubsub "github.com/libp2p/go-libp2p-pubsub"

	"github.com/meshhold/meshhold/p2p"
)

// subBuffer is how many messages a subscription holds for a slow callback before GossipSub drops
// the next ones for it (bounded queues drop by design).
const subBuffer = 256

// topic is a joined GossipSub topic; it implements p2p.Topic.
type topic struct {
	m    *Mesh
	name string
	t    *pubsub.Topic

	mu     sync.Mutex
	subs   []*subscription
	closed bool
}

// subscription is one Subscribe callback.
type subscription struct {
	s   *pubsub.Subscription
	off atomic.Bool
}

var _ p2p.Topic = (*topic)(nil)

// Join joins a gossip topic; a node joins each topic once until it closes it (ErrTopicJoined).
func (m *Mesh) Join(name string) (p2p.Topic, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if m.topics[name] != nil {
		return nil, fmt.Errorf("%w: %s", ErrTopicJoined, name)
	}
	pt, err := m.ps.Join(name)
	if err != nil {
		return nil, fmt.Errorf("mesh: join topic %s: %w", name, err)
	}
	t := &topic{m: m, name: name, t: pt}
	m.topics[name] = t
	return t, nil
}

// Publish signs data and sends it to the topic's peers. It does not wait for delivery; a topic
// with no peers yet drops the message.
func (t *topic) Publish(ctx context.Context, data []byte) error {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed || t.m.ctx.Err() != nil {
		return ErrClosed
	}
	if err := t.t.Publish(ctx, data); err != nil {
		return fmt.Errorf("mesh: publish on %s: %w", t.name, err)
	}
	return nil
}

// Subscribe calls fn, from one goroutine per subscription, for each message another peer
// published on the topic (this node's own messages are skipped). A callback slower than the
// traffic loses messages once subBuffer are waiting. fn may cancel its own subscription or close
// the topic, but must not call the mesh's Close, which waits for it.
func (t *topic) Subscribe(fn func(p2p.Message)) (cancel func(), err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.m.ctx.Err() != nil {
		return nil, ErrClosed
	}
	ps, err := t.t.Subscribe(pubsub.WithBufferSize(subBuffer))
	if err != nil {
		return nil, fmt.Errorf("mesh: subscribe to %s: %w", t.name, err)
	}
	s := &subscription{s: ps}
	if !t.m.goTracked(func() { t.deliver(s, fn) }) {
		ps.Cancel()
		return nil, ErrClosed
	}
	t.subs = append(t.subs, s)
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.cancelLocked(s)
		t.subs = slices.DeleteFunc(t.subs, func(x *subscription) bool { return x == s })
	}, nil
}

// deliver runs one subscription's callbacks until it is cancelled or the mesh closes.
func (t *topic) deliver(s *subscription, fn func(p2p.Message)) {
	self := t.m.self
	for {
		msg, err := s.s.Next(t.m.ctx)
		if err != nil {
			return // cancelled, or the mesh is closing
		}
		if msg.Local || msg.GetFrom() == self || s.off.Load() {
			continue
		}
		fn(p2p.Message{Topic: t.name, From: p2p.PeerID(msg.GetFrom().String()), Data: msg.Data})
	}
}

// cancelLocked stops one subscription; t.mu is held.
func (t *topic) cancelLocked(s *subscription) {
	if s.off.Swap(true) {
		return
	}
	if t.m.ctx.Err() == nil {
		s.s.Cancel()
	}
}

// Close leaves the topic: its subscriptions stop, and the node may Join it again.
func (t *topic) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	for _, s := range t.subs {
		t.cancelLocked(s)
	}
	t.subs = nil
	t.mu.Unlock()

	m := t.m
	m.mu.Lock()
	if m.topics[t.name] == t {
		delete(m.topics, t.name)
	}
	m.mu.Unlock()
	if m.ctx.Err() != nil {
		return nil // the mesh is closing: gossipsub is going away with everything it holds
	}
	if err := t.t.Close(); err != nil {
		return fmt.Errorf("mesh: leave topic %s: %w", t.name, err)
	}
	return nil
}

// stop marks the topic closed when the mesh closes; gossipsub stops with the mesh's context.
func (t *topic) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for _, s := range t.subs {
		s.off.Store(true)
	}
	t.subs = nil
}

// Peers lists the connected peers subscribed to the topic, as GossipSub knows them, sorted.
func (t *topic) Peers() []p2p.PeerID {
	var out []p2p.PeerID
	for _, id := range t.t.ListPeers() {
		out = append(out, p2p.PeerID(id.String()))
	}
	slices.Sort(out)
	return out
}
