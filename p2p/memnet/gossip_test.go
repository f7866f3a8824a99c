package memnet_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
)

func TestGossipFansOutToLinkedSubscribersButNotSelf(t *testing.T) {
	n, _ := newNet(t, 1, memnet.Faults{Delay: 5 * time.Millisecond}, "a", "b", "c", "d")
	mesh(t, n, "a", "b", "c") // d is not linked
	ta, ina := join(t, n.Node("a"), "room")
	_, inb := join(t, n.Node("b"), "room")
	_, inc := join(t, n.Node("c"), "room")
	_, ind := join(t, n.Node("d"), "room")
	publish(t, ta, "hi")

	if n.Advance(epoch.Add(4 * time.Millisecond)); len(inb.data()) != 0 {
		t.Fatal("delivered before Delay")
	}
	n.RunUntilIdle()
	if got := [][]string{ina.data(), inb.data(), inc.data(), ind.data()}; !slices.EqualFunc(got,
		[][]string{nil, {"hi"}, {"hi"}, nil}, func(x, y []string) bool { return slices.Equal(x, y) }) {
		t.Fatalf("a b c d got %q", got)
	}
	if got := n.Now(); !got.Equal(epoch.Add(5 * time.Millisecond)) {
		t.Fatalf("clock = %v after delivery, want epoch+5ms", got.Sub(epoch))
	}
}

func TestGossipMessageCarriesTopicAndSender(t *testing.T) {
	n, _ := newNet(t, 1, memnet.Faults{}, "a", "b")
	mesh(t, n, "a", "b")
	ta, _ := join(t, n.Node("a"), "t")
	_, inb := join(t, n.Node("b"), "t")
	publish(t, ta, "x")
	n.RunUntilIdle()
	if m := inb.got[0]; m.Topic != "t" || m.From != "a" {
		t.Fatalf("got %+v", m)
	}
}

func TestUnsubscribedAndClosedTopicsReceiveNothing(t *testing.T) {
	n, _ := newNet(t, 1, memnet.Faults{Delay: time.Millisecond}, "a", "b")
	mesh(t, n, "a", "b")
	ta, _ := join(t, n.Node("a"), "t")
	tb, err := n.Node("b").Join("t")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	cancel, _ := tb.Subscribe(func(m p2p.Message) { got = append(got, string(m.Data)) })
	publish(t, ta, "1")
	cancel() // in flight when cancelled: lost
	publish(t, ta, "2")
	n.RunUntilIdle()
	if len(got) != 0 {
		t.Fatalf("got %q after cancel", got)
	}
	if s := n.Stats(); s.Lost != 1 {
		t.Fatalf("lost = %d, want 1 (the second was never sent)", s.Lost)
	}
	if _, err := n.Node("b").Join("t"); !errors.Is(err, memnet.ErrTopicJoined) {
		t.Fatalf("second join: %v", err)
	}
	_ = tb.Close()
	if err := tb.Publish(context.Background(), nil); !errors.Is(err, memnet.ErrClosed) {
		t.Fatalf("publish on closed topic: %v", err)
	}
	if _, err := n.Node("b").Join("t"); err != nil {
		t.Fatalf("join after close: %v", err)
	}
}

func TestSubscribersMayPublishFromTheirCallback(t *testing.T) {
	n, _ := newNet(t, 1, memnet.Faults{Delay: time.Millisecond}, "a", "b")
	mesh(t, n, "a", "b")
	ta, ina := join(t, n.Node("a"), "ping")
	tb, err := n.Node("b").Join("ping")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Subscribe(func(m p2p.Message) { _ = tb.Publish(context.Background(), append(m.Data, '!')) }); err != nil {
		t.Fatal(err)
	}
	publish(t, ta, "hi")
	n.RunUntilIdle()
	if got := ina.data(); !slices.Equal(got, []string{"hi!"}) {
		t.Fatalf("a got %q", got)
	}
}

func TestPeerEventsAndPeers(t *testing.T) {
	n, _ := newNet(t, 1, memnet.Faults{}, "a", "b", "c")
	var evs []p2p.PeerEvent
	n.Node("a").WatchPeers(func(e p2p.PeerEvent) { evs = append(evs, e) })
	mesh(t, n, "a", "b", "c")
	if got := n.Node("a").Peers(); !slices.Equal(got, []p2p.PeerID{"b", "c"}) {
		t.Fatalf("peers %v", got)
	}
	n.Disconnect("a", "c")
	n.RunUntilIdle()
	want := []p2p.PeerEvent{{Peer: "b", Connected: true}, {Peer: "c", Connected: true}, {Peer: "c"}}
	if !slices.Equal(evs, want) {
		t.Fatalf("events %v, want %v", evs, want)
	}
	if err := n.Connect("a", "a"); err == nil {
		t.Fatal("connected a node to itself")
	}
	if err := n.Connect("a", "zz"); !errors.Is(err, memnet.ErrUnknownNode) {
		t.Fatalf("connect unknown: %v", err)
	}
}
