package mesh

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// inbox collects the messages a subscription delivers.
type inbox struct {
	mu   sync.Mutex
	msgs []p2p.Message
}

func (b *inbox) add(m p2p.Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, m)
}

func (b *inbox) all() []p2p.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.msgs)
}

// TestGossipThreeNodes: b and c bootstrap from a; a message b publishes reaches a and c (through
// a, since b and c are not connected) and is not echoed back to b.
func TestGossipThreeNodes(t *testing.T) {
	a := start(t, Config{})
	boot := []string{loopbackAddr(t, a)}
	b := start(t, Config{Bootstrap: boot})
	c := start(t, Config{Bootstrap: boot})
	eventually(t, 5*time.Second, "b and c connect to a", func() bool { return len(a.Peers()) == 2 })

	const name = "meshhold/test/room"
	nodes := []*Mesh{a, b, c}
	topics := make([]p2p.Topic, 3)
	boxes := make([]*inbox, 3)
	for i, m := range nodes {
		tp, err := m.Join(name)
		if err != nil {
			t.Fatal(err)
		}
		topics[i], boxes[i] = tp, &inbox{}
		if _, err := tp.Subscribe(boxes[i].add); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, "gossipsub sees the subscriptions", func() bool {
		return len(topics[0].(*topic).Peers()) == 2 && len(topics[1].(*topic).Peers()) == 1 && len(topics[2].(*topic).Peers()) == 1
	})
	ctx := context.Background()
	// The first messages may go before a's mesh for the topic forms (one heartbeat): publish
	// until c has one.
	eventually(t, 10*time.Second, "c receives b's message through a", func() bool {
		if err := topics[1].Publish(ctx, []byte("from b")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		return len(boxes[2].all()) > 0
	})
	time.Sleep(100 * time.Millisecond)
	for i, box := range boxes {
		msgs := box.all()
		if i == 1 {
			if len(msgs) != 0 {
				t.Errorf("b received its own messages: %v", msgs)
			}
			continue
		}
		if len(msgs) == 0 {
			t.Errorf("node %d received nothing", i)
			continue
		}
		for _, m := range msgs {
			if m.From != b.Self() || m.Topic != name || string(m.Data) != "from b" {
				t.Errorf("node %d received %+v", i, m)
			}
		}
	}

	// Cancel stops delivery; Close leaves; a joined topic cannot be joined twice until closed.
	if _, err := a.Join(name); !errors.Is(err, ErrTopicJoined) {
		t.Errorf("second Join: %v, want ErrTopicJoined", err)
	}
	box2 := &inbox{}
	cancel, err := topics[2].Subscribe(box2.add)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	cancel()
	if err := topics[0].Close(); err != nil {
		t.Fatal(err)
	}
	if err := topics[0].Publish(ctx, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish on a closed topic: %v", err)
	}
	if _, err := topics[0].Subscribe(func(p2p.Message) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe on a closed topic: %v", err)
	}
	again, err := a.Join(name)
	if err != nil {
		t.Fatalf("Join after Close: %v", err)
	}
	_ = again.Close()
	_ = topics[1].Publish(ctx, []byte("after"))
	time.Sleep(200 * time.Millisecond)
	if len(box2.all()) != 0 {
		t.Errorf("a cancelled subscription received %v", box2.all())
	}
}
