package memnet_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
)

// events records the peer events a node sees, as "+b"/"-b".
func events(n *memnet.Network, id p2p.PeerID) *[]string {
	var evs []string
	n.Node(id).WatchPeers(func(e p2p.PeerEvent) {
		sign := "-"
		if e.Connected {
			sign = "+"
		}
		evs = append(evs, sign+string(e.Peer))
	})
	return &evs
}

func TestSymmetricPartitionCutsBothWaysThenDropsTheLink(t *testing.T) {
	n, _ := newNet(t, 1, memnet.Faults{Delay: time.Millisecond}, "a", "b")
	evA, evB := events(n, "a"), events(n, "b")
	mesh(t, n, "a", "b")
	ta, ina := join(t, n.Node("a"), "t")
	tb, inb := join(t, n.Node("b"), "t")
	n.RunUntilIdle()

	publish(t, ta, "in flight") // sent before the cut, arrives after: lost too
	n.Partition("a", "b")
	publish(t, ta, "a1")
	publish(t, tb, "b1")
	n.Advance(n.Now().Add(time.Second))
	if len(ina.data())+len(inb.data()) != 0 || n.Stats().Cut != 3 {
		t.Fatalf("a got %q, b got %q, cut %d", ina.data(), inb.data(), n.Stats().Cut)
	}
	if got := n.Node("a").Peers(); !slices.Equal(got, []p2p.PeerID{"b"}) {
		t.Fatalf("an undetected partition still lists the peer, got %v", got)
	}

	n.Advance(n.Now().Add(memnet.DefaultTimeout)) // detected: the link drops
	if got := n.Node("a").Peers(); len(got) != 0 {
		t.Fatalf("peers after timeout %v", got)
	}
	n.Heal("a", "b")
	n.RunUntilIdle()
	publish(t, ta, "a2")
	publish(t, tb, "b2")
	n.RunUntilIdle()
	if !slices.Equal(ina.data(), []string{"b2"}) || !slices.Equal(inb.data(), []string{"a2"}) {
		t.Fatalf("after heal a got %q, b got %q", ina.data(), inb.data())
	}
	for _, ev := range []struct {
		name string
		got  []string
		want []string
	}{{"a", *evA, []string{"+b", "-b", "+b"}}, {"b", *evB, []string{"+a", "-a", "+a"}}} {
		if !slices.Equal(ev.got, ev.want) {
			t.Errorf("%s events %v, want %v", ev.name, ev.got, ev.want)
		}
	}
}

func TestShortPartitionIsNotNoticed(t *testing.T) {
	n, _ := newNet(t, 1, memnet.Faults{Delay: time.Millisecond}, "a", "b")
	evA := events(n, "a")
	mesh(t, n, "a", "b")
	n.Partition("a", "b")
	n.Advance(epoch.Add(memnet.DefaultTimeout - time.Millisecond))
	n.Heal()
	n.Advance(epoch.Add(time.Minute))
	if !slices.Equal(*evA, []string{"+b"}) {
		t.Fatalf("events %v: a healed partition shorter than the timeout must not disconnect", *evA)
	}
}

func TestOneWayPartition(t *testing.T) {
	n, _ := newNet(t, 1, memnet.Faults{Delay: time.Millisecond}, "a", "b")
	evA := events(n, "a")
	mesh(t, n, "a", "b")
	ta, ina := join(t, n.Node("a"), "t")
	tb, inb := join(t, n.Node("b"), "t")

	n.PartitionOneWay("a", "b")
	publish(t, ta, "a→b")
	publish(t, tb, "b→a")
	n.Advance(epoch.Add(time.Minute)) // past the timeout: a one-way cut never drops the link
	if len(inb.data()) != 0 || !slices.Equal(ina.data(), []string{"b→a"}) {
		t.Fatalf("a got %q, b got %q; want only b→a", ina.data(), inb.data())
	}
	if !slices.Equal(*evA, []string{"+b"}) {
		t.Fatalf("events %v", *evA)
	}

	n.PartitionOneWay("b", "a") // now both ways: detected after the timeout
	n.Advance(epoch.Add(2 * time.Minute))
	n.HealOneWay("a", "b")
	n.Advance(epoch.Add(3 * time.Minute))
	publish(t, ta, "again")
	publish(t, tb, "lost")
	n.RunUntilIdle()
	if !slices.Equal(inb.data(), []string{"again"}) || len(ina.data()) != 1 {
		t.Fatalf("after half a heal a got %q, b got %q", ina.data(), inb.data())
	}
	if !slices.Equal(*evA, []string{"+b", "-b", "+b"}) {
		t.Fatalf("events %v", *evA)
	}
}

func TestConnectAcrossPartitionFails(t *testing.T) {
	n, _ := newNet(t, 1, memnet.Faults{}, "a", "b")
	n.Partition("a", "b")
	if err := n.Connect("a", "b"); err == nil || !strings.Contains(err.Error(), "partitioned") {
		t.Fatalf("connect across a partition: %v", err)
	}
}

// TestGossipConvergesAfterHeal: three nodes gossip their sets every 100ms (a trivial
// anti-entropy); c is cut off long enough for its links to drop, everybody keeps adding values,
// and after Heal all three converge.
func TestGossipConvergesAfterHeal(t *testing.T) {
	ids := []p2p.PeerID{"a", "b", "c"}
	n, _ := newNet(t, 42, memnet.Faults{Delay: 10 * time.Millisecond, Jitter: 20 * time.Millisecond,
		Drop: 0.2, Duplicate: 0.1, Reorder: 0.2}, ids...)
	mesh(t, n, ids...)
	sets := map[p2p.PeerID]map[string]bool{}
	topics := map[p2p.PeerID]p2p.Topic{}
	for _, id := range ids {
		set := map[string]bool{}
		sets[id] = set
		tp, err := n.Node(id).Join("set")
		if err != nil {
			t.Fatal(err)
		}
		topics[id] = tp
		if _, err := tp.Subscribe(func(m p2p.Message) {
			for v := range strings.SplitSeq(string(m.Data), ",") {
				set[v] = true
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	same := func() bool {
		return maps.Equal(sets["a"], sets["b"]) && maps.Equal(sets["b"], sets["c"])
	}
	round := func(r int, add bool) {
		for _, id := range ids {
			if add {
				sets[id][string(id)+"-"+time.Duration(r).String()] = true
			}
			vals := slices.Sorted(maps.Keys(sets[id]))
			if err := topics[id].Publish(context.Background(), []byte(strings.Join(vals, ","))); err != nil {
				t.Fatal(err)
			}
		}
		n.Advance(n.Now().Add(100 * time.Millisecond))
	}

	n.Partition("a", "c")
	n.Partition("b", "c")
	for r := range 200 { // 20s: past the timeout, c's links drop
		round(r, true)
	}
	if same() {
		t.Fatal("converged across a partition")
	}
	if got := n.Node("c").Peers(); len(got) != 0 {
		t.Fatalf("c still linked to %v after the timeout", got)
	}
	n.Heal()
	for r := 0; r < 100 && !same(); r++ {
		round(r, false)
	}
	if !same() {
		t.Fatalf("no convergence after heal: a %d b %d c %d values", len(sets["a"]), len(sets["b"]), len(sets["c"]))
	}
	if got := n.Node("c").Peers(); !slices.Equal(got, []p2p.PeerID{"a", "b"}) {
		t.Fatalf("c linked to %v after heal", got)
	}
}
