package memnet_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
)

// epoch is where networks on a standing clock start.
var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// standing is a clock that never moves, so Advance and RunUntilIdle own time.
func standing() time.Time { return epoch }

// newNet builds a network on the standing clock with nodes ids, tracing into the returned builder.
func newNet(t *testing.T, seed uint64, f memnet.Faults, ids ...p2p.PeerID) (*memnet.Network, *strings.Builder) {
	t.Helper()
	var tr strings.Builder
	n := memnet.New(seed, memnet.Config{Faults: f, Now: standing, Trace: &tr})
	for _, id := range ids {
		n.Node(id)
	}
	return n, &tr
}

// mesh connects every pair of ids.
func mesh(t *testing.T, n *memnet.Network, ids ...p2p.PeerID) {
	t.Helper()
	for i, a := range ids {
		for _, b := range ids[i+1:] {
			if err := n.Connect(a, b); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// inbox records gossip a node receives.
type inbox struct {
	mu  sync.Mutex
	got []p2p.Message
}

func (b *inbox) add(m p2p.Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, m)
}

func (b *inbox) data() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, len(b.got))
	for i, m := range b.got {
		out[i] = string(m.Data)
	}
	return out
}

// join joins topic on tr and subscribes a fresh inbox.
func join(t *testing.T, tr p2p.Transport, topic string) (p2p.Topic, *inbox) {
	t.Helper()
	tp, err := tr.Join(topic)
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{}
	if _, err := tp.Subscribe(in.add); err != nil {
		t.Fatal(err)
	}
	return tp, in
}

func publish(t *testing.T, tp p2p.Topic, data string) {
	t.Helper()
	if err := tp.Publish(context.Background(), []byte(data)); err != nil {
		t.Fatal(err)
	}
}

// drive runs n inside a synctest bubble the way a simulator kernel does: after each frame it waits
// until every goroutine the frame woke has blocked again; when nothing is due it sleeps (virtual
// time) to the next frame. It stops after d of virtual time, or when idle if d is 0.
func drive(n *memnet.Network, d time.Duration) {
	until := time.Now().Add(d)
	for {
		synctest.Wait()
		if n.Step() {
			continue
		}
		next, ok := n.Next()
		if !ok || (d > 0 && next.After(until)) {
			break
		}
		time.Sleep(time.Until(next))
	}
	if wait := time.Until(until); d > 0 && wait > 0 {
		time.Sleep(wait)
		synctest.Wait()
	}
}
