package chat

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
)

const room = "r1"

// say stores envelopes at their sender's node and gossips them, spaced by gap.
func say(t *testing.T, nd *peerNode, a *author, n int, gap time.Duration) []messages.ChatEnvelope {
	t.Helper()
	var out []messages.ChatEnvelope
	for i := range n {
		e := a.next(fmt.Sprintf("%s says %d", a.sender, i))
		nd.room.put(e)
		if err := nd.svc.Publish(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
		time.Sleep(gap)
	}
	return out
}

// A message published at A reaches B and C by gossip alone (no pull, no round after the first).
func TestGossipReachesEveryHolder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, nodes := mesh(t, memnet.Faults{Delay: 5 * time.Millisecond}, time.Hour,
			map[p2p.PeerID][]string{"a": {room}, "b": {room}, "c": {room}})
		time.Sleep(100 * time.Millisecond) // every node has joined the topic
		say(t, nodes["a"], &author{room: room, sender: "a"}, 5, time.Millisecond)
		time.Sleep(100 * time.Millisecond)
		for _, id := range []p2p.PeerID{"b", "c"} {
			nd := nodes[id]
			if got := nd.room.count(room); got != 5 {
				t.Fatalf("%s holds %d messages, want 5", id, got)
			}
			if st := nd.svc.Stats(); st.Gossiped != 5 || st.Pulled != 0 || st.Added != 5 {
				t.Fatalf("%s: %+v, want 5 gossiped and added, none pulled", id, st)
			}
		}
		if st := nodes["a"].svc.Stats(); st.Published != 5 {
			t.Fatalf("a published %d", st.Published)
		}
	})
}

// A read receipt published at A reaches the other members' rooms, not as an envelope.
func TestReadReceiptsReachTheMembers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, nodes := mesh(t, memnet.Faults{Delay: 5 * time.Millisecond}, time.Hour,
			map[p2p.PeerID][]string{"a": {room}, "b": {room}, "c": {room}})
		time.Sleep(100 * time.Millisecond)
		rc := messages.ChatReceipt{RoomID: room, Reader: "a", TsMs: 1_700_000_000_000, Sig: []byte("sig")}
		if err := nodes["a"].svc.PublishReceipt(context.Background(), rc); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		for _, id := range []p2p.PeerID{"b", "c"} {
			got := nodes[id].room.receiptsOf()
			if len(got) != 1 || got[0].Reader != "a" || got[0].TsMs != rc.TsMs || string(got[0].Sig) != "sig" {
				t.Fatalf("%s got receipts %+v", id, got)
			}
			if st := nodes[id].svc.Stats(); st.Gossiped != 0 || st.Malformed != 0 {
				t.Fatalf("%s: a receipt was taken for an envelope: %+v", id, st)
			}
		}
	})
}

// With 30 % of gossip lost, the gaps later messages reveal are pulled from peers: every message
// arrives with no anti-entropy round at all.
func TestGapRepairRecoversLostGossip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, nodes := mesh(t, memnet.Faults{Delay: 5 * time.Millisecond, Jitter: 5 * time.Millisecond},
			time.Hour, map[p2p.PeerID][]string{"a": {room}, "b": {room}, "c": {room}})
		time.Sleep(100 * time.Millisecond)
		if err := n.SetFaults(memnet.Faults{Delay: 5 * time.Millisecond, Jitter: 5 * time.Millisecond, Drop: 0.3, Reorder: 0.1, Duplicate: 0.05}); err != nil {
			t.Fatal(err)
		}
		aa, ab := &author{room: room, sender: "a"}, &author{room: room, sender: "b"}
		for range 30 {
			say(t, nodes["a"], aa, 1, 3*time.Millisecond)
			say(t, nodes["b"], ab, 1, 3*time.Millisecond)
		}
		time.Sleep(time.Second) // the gaps seen so far are repaired over streams that may fail
		_ = n.SetFaults(memnet.Faults{Delay: 5 * time.Millisecond})
		say(t, nodes["a"], aa, 1, 0) // the last ones arrive and reveal the tails lost before
		say(t, nodes["b"], ab, 1, 0)
		eventually(t, 5*time.Second, "every node holds all 62 messages", func() bool {
			return nodes["a"].room.count(room) == 62 && nodes["b"].room.count(room) == 62 && nodes["c"].room.count(room) == 62
		})
		if n.Stats().Dropped == 0 {
			t.Fatal("no gossip was dropped: the test proves nothing")
		}
		var pulled uint64
		for id, nd := range nodes {
			st := nd.svc.Stats()
			pulled += st.Pulled
			if st.Rounds != 1 {
				t.Fatalf("%s ran %d rounds, want only the first", id, st.Rounds)
			}
			want := 31 // the other author's
			if id == "c" {
				want = 62
			}
			if got := len(nd.room.addedOf()); got != want || int(st.Added) != want {
				t.Fatalf("%s added %d (stats %d), want %d", id, got, st.Added, want)
			}
		}
		if pulled == 0 {
			t.Fatal("nothing was pulled")
		}
	})
}

// With 30 % of gossip and of stream opens lost all along and no later message to reveal the
// tails, the anti-entropy rounds still bring every message everywhere.
func TestAntiEntropyRecoversLostTails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, nodes := mesh(t, memnet.Faults{Delay: 5 * time.Millisecond}, 500*time.Millisecond,
			map[p2p.PeerID][]string{"a": {room}, "b": {room}, "c": {room}})
		time.Sleep(100 * time.Millisecond)
		_ = n.SetFaults(memnet.Faults{Delay: 5 * time.Millisecond, Jitter: 5 * time.Millisecond, Drop: 0.3})
		aa, ab := &author{room: room, sender: "a"}, &author{room: room, sender: "b"}
		for range 30 {
			say(t, nodes["a"], aa, 1, 2*time.Millisecond)
			say(t, nodes["b"], ab, 1, 2*time.Millisecond)
		}
		eventually(t, 30*time.Second, "every node holds all 60 messages", func() bool {
			return nodes["a"].room.count(room) == 60 && nodes["b"].room.count(room) == 60 && nodes["c"].room.count(room) == 60
		})
		if st := nodes["c"].svc.Stats(); st.Pulled == 0 || st.Rounds < 2 {
			t.Fatalf("c: %+v, want pulls and rounds", st)
		}
	})
}

// A node that was offline while 10 messages were sent catches up all 10 when it reconnects,
// in order, each handed to the room once, from one holder.
func TestReconnectingNodeCatchesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, nodes := mesh(t, memnet.Faults{Delay: 5 * time.Millisecond}, time.Hour,
			map[p2p.PeerID][]string{"a": {room}, "b": {room}, "c": {room}})
		time.Sleep(100 * time.Millisecond)
		n.Disconnect("c", "a")
		n.Disconnect("c", "b")
		sent := say(t, nodes["a"], &author{room: room, sender: "a"}, 10, 5*time.Millisecond)
		time.Sleep(time.Second)
		if got := nodes["c"].room.count(room); got != 0 || nodes["b"].room.count(room) != 10 {
			t.Fatalf("c holds %d while offline, b %d", got, nodes["b"].room.count(room))
		}
		for _, p := range []p2p.PeerID{"a", "b"} {
			if err := n.Connect("c", p); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, 2*time.Second, "c caught up", func() bool { return nodes["c"].room.count(room) == 10 })
		time.Sleep(200 * time.Millisecond)
		got := nodes["c"].room.addedOf()
		if len(got) != 10 {
			t.Fatalf("c added %d envelopes, want 10", len(got))
		}
		for i, e := range got {
			if e.Hash() != sent[i].Hash() {
				t.Fatalf("added #%d is seq %d, want seq %d: out of order", i, e.Seq, sent[i].Seq)
			}
		}
		if st := nodes["c"].svc.Stats(); st.Pulled != 10 || st.Duplicate != 0 {
			t.Fatalf("c: %+v, want 10 pulled, no duplicate", st)
		}
	})
}

// A relay-only node serves the catch-up when the members that wrote are gone.
func TestRelayServesCatchUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, nodes := mesh(t, memnet.Faults{Delay: 5 * time.Millisecond}, time.Hour,
			map[p2p.PeerID][]string{"a": {room}, "b": {room}, "c": {room}, "d": {room}})
		time.Sleep(100 * time.Millisecond)
		for _, p := range []p2p.PeerID{"a", "b", "d"} {
			n.Disconnect("c", p)
		}
		say(t, nodes["a"], &author{room: room, sender: "a"}, 10, 5*time.Millisecond)
		eventually(t, time.Second, "the relay holds all 10", func() bool { return nodes["d"].room.count(room) == 10 })
		n.Crash("a")
		n.Crash("b")
		if err := n.Connect("c", "d"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 2*time.Second, "c caught up from the relay", func() bool { return nodes["c"].room.count(room) == 10 })
		if st := nodes["d"].svc.Stats(); st.Served != 10 {
			t.Fatalf("relay served %d, want 10", st.Served)
		}
	})
}

// A server refuses a room it does not hold; the asker counts it as "not a holder" and keeps
// asking that peer about other rooms without backing off.
func TestServerRefusesARoomItDoesNotHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, nodes := mesh(t, memnet.Faults{Delay: 5 * time.Millisecond}, time.Hour,
			map[p2p.PeerID][]string{"a": {room}, "b": {room, "other"}})
		time.Sleep(100 * time.Millisecond)
		ctx := context.Background()
		tb := nodes["b"].t
		if _, err := RemoteHeads(ctx, tb, "a", "other"); !errors.Is(err, ErrNoRoom) {
			t.Fatalf("heads of a room a does not hold: %v, want ErrNoRoom", err)
		}
		_, _, err := RemoteSince(ctx, tb, "a", "other", nil, 0, func(messages.ChatEnvelope) error { return nil })
		if !errors.Is(err, ErrNoRoom) {
			t.Fatalf("since of a room a does not hold: %v, want ErrNoRoom", err)
		}
		if _, err := RemoteHeads(ctx, tb, "a", room); err != nil {
			t.Fatalf("heads of a room a holds: %v", err)
		}
		st := nodes["b"].svc.Stats()
		if st.NotHolder == 0 || st.PullErrors != 0 || !nodes["b"].svc.due("a") {
			t.Fatalf("b after a's refusals: %+v, a due %v; want not-holder counted, no backoff", st, nodes["b"].svc.due("a"))
		}
		if nodes["a"].svc.Stats().Refused < 3 {
			t.Fatalf("a refused %d questions", nodes["a"].svc.Stats().Refused)
		}
	})
}

// A since answer comes in pages; a limit below what the peer has ends with more, and asking
// again from the new heads continues where it stopped.
func TestSincePagesAndLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, nodes := mesh(t, memnet.Faults{Delay: time.Millisecond}, time.Hour,
			map[p2p.PeerID][]string{"a": {room}, "b": {}}, func(c *Config) { c.Page = 3 })
		aa, ab := &author{room: room, sender: "a"}, &author{room: room, sender: "z"}
		for range 6 {
			nodes["a"].room.put(aa.next("x"), ab.next("y"))
		}
		heads := map[string]uint64{"a": 2}
		var got []messages.ChatEnvelope
		for _, want := range []struct {
			n    int
			more bool
		}{{4, true}, {4, true}, {2, false}} {
			n, more, err := RemoteSince(context.Background(), nodes["b"].t, "a", room, heads, 4, func(e messages.ChatEnvelope) error {
				got = append(got, e)
				heads[e.Sender] = e.Seq
				return nil
			})
			if err != nil || n != want.n || more != want.more {
				t.Fatalf("since from %v: %d, more %v, %v; want %d, more %v", heads, n, more, err, want.n, want.more)
			}
		}
		var order []string
		for _, e := range got {
			order = append(order, fmt.Sprint(e.Sender, e.Seq))
		}
		if fmt.Sprint(order) != "[a3 a4 a5 a6 z1 z2 z3 z4 z5 z6]" {
			t.Fatalf("envelopes %v, want a3…a6 then z1…z6", order)
		}
	})
}

// Gossip that is not an envelope of the topic's room is dropped before the room sees it.
func TestMalformedGossipIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, nodes := mesh(t, memnet.Faults{Delay: time.Millisecond}, time.Hour,
			map[p2p.PeerID][]string{"a": {room}})
		x := n.Node("x")
		if err := n.Connect("x", "a"); err != nil {
			t.Fatal(err)
		}
		tp, err := x.Join(Topic(room))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = tp.Subscribe(func(p2p.Message) {})
		time.Sleep(50 * time.Millisecond)
		stray := (&author{room: "elsewhere", sender: "x"}).next("hi")
		for _, b := range [][]byte{[]byte("garbage"), stray.Marshal()} {
			if err := tp.Publish(context.Background(), b); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
		if st := nodes["a"].svc.Stats(); st.Malformed != 2 || st.Gossiped != 0 || nodes["a"].room.count(room) != 0 {
			t.Fatalf("a: %+v", st)
		}
		_ = tp.Close()
	})
}

// A burst of gossip reaches the room in a few batches, not one Receive (one commit) each.
func TestGossipIsHandedOnInBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, nodes := mesh(t, memnet.Faults{Delay: 5 * time.Millisecond}, time.Hour,
			map[p2p.PeerID][]string{"a": {room}, "b": {room}})
		time.Sleep(100 * time.Millisecond)
		say(t, nodes["a"], &author{room: room, sender: "a"}, 600, 0)
		eventually(t, time.Second, "b holds all 600", func() bool { return nodes["b"].room.count(room) == 600 })
		b := nodes["b"].room
		b.mu.Lock()
		calls := b.calls
		b.mu.Unlock()
		if calls > 5 {
			t.Fatalf("600 envelopes took %d Receive calls, want a few batches of up to %d", calls, DefaultBatch)
		}
	})
}

// Sync leaves the rooms no longer held (no gossip, refused catch-up) and joins new ones, which
// catch up at once.
func TestSyncLeavesAndJoinsRooms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, nodes := mesh(t, memnet.Faults{Delay: 5 * time.Millisecond}, time.Hour,
			map[p2p.PeerID][]string{"a": {room}, "b": {room}})
		time.Sleep(100 * time.Millisecond)
		b := nodes["b"]
		if err := b.svc.Sync(nil); err != nil {
			t.Fatal(err)
		}
		if _, err := RemoteHeads(context.Background(), nodes["a"].t, "b", room); !errors.Is(err, ErrNoRoom) {
			t.Fatalf("heads of a room b left: %v", err)
		}
		au := &author{room: room, sender: "a"}
		say(t, nodes["a"], au, 3, time.Millisecond)
		time.Sleep(100 * time.Millisecond)
		if st := b.svc.Stats(); st.Gossiped != 0 || b.room.count(room) != 0 {
			t.Fatalf("b got gossip of a room it left: %+v", st)
		}
		if err := b.svc.Sync([]string{room}); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Second, "b caught up on rejoining", func() bool { return b.room.count(room) == 3 })
		say(t, nodes["a"], au, 1, 0)
		eventually(t, time.Second, "b gets gossip again", func() bool { return b.svc.Stats().Gossiped == 1 })
	})
}
