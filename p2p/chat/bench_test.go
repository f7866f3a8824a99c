package chat

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/meshhold/meshhold/p2p/memnet"
)

// BenchmarkCatchUp measures one node pulling a room of b.N envelopes (100-byte bodies) from a
// peer over memnet with no latency: the protocol's own cost, framing and batching included.
func BenchmarkCatchUp(b *testing.B) {
	n := memnet.New(1, memnet.Config{})
	ta, tb := n.Node("a"), n.Node("b")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = n.Run(ctx) }()
	ra, rb := newMapRoom(room), newMapRoom(room)
	au := &author{room: room, sender: "a"}
	body := make([]byte, 100)
	for range b.N {
		e := au.next("")
		e.Body = body
		ra.put(e)
	}
	quiet := slog.New(slog.DiscardHandler)
	sa, _ := Start(Config{Transport: ta, Room: ra, Interval: time.Hour, Log: quiet})
	defer sa.Close()
	sb, _ := Start(Config{Transport: tb, Room: rb, Interval: time.Hour, Log: quiet})
	defer sb.Close()
	for len(sa.Held()) == 0 {
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	_ = n.Connect("a", "b") // b pulls at once
	for rb.count(room) < b.N {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	if st := sb.Stats(); st.Duplicate != 0 {
		b.Fatalf("%d duplicates", st.Duplicate)
	}
}
