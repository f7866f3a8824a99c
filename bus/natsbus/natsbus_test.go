package natsbus_test

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/natsbus"
)

var modes = []natsbus.ConnMode{natsbus.ConnInProcess, natsbus.ConnLoopback}

func TestPublishSubscribeWildcards(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			b := startBus(t, natsbus.Config{Conn: mode})
			if b.ClientURL() != "" {
				t.Errorf("ClientURL() = %q without a listener", b.ClientURL())
			}
			all := subscribe(t, b, bus.AllEvents)
			room := subscribe(t, b, bus.EntitySubject("room/r1"))
			posted := subscribe(t, b, bus.TypeSubject("message_posted"))
			dotted := subscribe(t, b, bus.EntitySubject("vault/a.b"))
			exact := subscribe(t, b, bus.EventSubject("member_joined", "room/r1"))

			publish(t, b, bus.EventSubject("message_posted", "room/r1"), "1")
			publish(t, b, bus.EventSubject("member_joined", "room/r1"), "2")
			publish(t, b, bus.EventSubject("message_posted", "room/r2"), "3")
			publish(t, b, bus.EventSubject("file_uploaded", "vault/a.b"), "4")
			publish(t, b, bus.EventSubject("file_uploaded", "vault/a"), "5")
			publish(t, b, "meshhold.other", "6")

			waitFor(t, "all five events", func() bool { return len(all.payloads()) == 5 })
			want := map[*inbox][]string{
				all:    {"1", "2", "3", "4", "5"},
				room:   {"1", "2"},
				posted: {"1", "3"},
				dotted: {"4"},
				exact:  {"2"},
			}
			for in, w := range want {
				waitFor(t, fmt.Sprint(w), func() bool { return len(in.payloads()) >= len(w) })
				if got := in.payloads(); !slices.Equal(got, w) {
					t.Errorf("got %q, want %q", got, w)
				}
			}
		})
	}
}

func TestOrderAndUnsubscribe(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			b := startBus(t, natsbus.Config{Conn: mode})
			in := &inbox{}
			sub, err := b.Subscribe(bus.AllEvents, in.add)
			if err != nil {
				t.Fatal(err)
			}
			const n = 1000
			subject := bus.EventSubject("counted", "test/1")
			for i := range n {
				publish(t, b, subject, strconv.Itoa(i))
			}
			waitFor(t, "all messages", func() bool { return len(in.payloads()) == n })
			for i, p := range in.payloads() {
				if p != strconv.Itoa(i) {
					t.Fatalf("message %d is %q", i, p)
				}
			}
			if err := sub.Unsubscribe(); err != nil {
				t.Fatal(err)
			}
			if err := sub.Unsubscribe(); err != nil {
				t.Fatalf("second Unsubscribe: %v", err)
			}
			fence := subscribe(t, b, bus.AllEvents)
			publish(t, b, subject, "after")
			waitFor(t, "fence", func() bool { return fence.has("after") })
			if in.has("after") {
				t.Error("message delivered after Unsubscribe")
			}
		})
	}
}

func TestCloseDrainsPublished(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			b, err := natsbus.Start(natsbus.Config{Conn: mode}, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			in := subscribe(t, b, bus.AllEvents)
			// A round trip makes sure the subscription is registered before publishing.
			publish(t, b, bus.EventSubject("warmup", "test/1"), "warmup")
			waitFor(t, "warmup", func() bool { return in.has("warmup") })
			const n = 5000
			for i := range n {
				publish(t, b, bus.EventSubject("drained", "test/1"), strconv.Itoa(i))
			}
			if err := b.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := len(in.payloads()); got != n+1 {
				t.Errorf("received %d of %d before Close returned", got, n+1)
			}
			if err := b.Publish(bus.EventSubject("late", "test/1"), nil); err == nil {
				t.Error("Publish after Close succeeded")
			}
			if err := b.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func TestCloseStopsGoroutines(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			before := runtime.NumGoroutine()
			b, err := natsbus.Start(natsbus.Config{Conn: mode, Listen: "127.0.0.1:0"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			subscribeReady(t, b, bus.AllEvents, bus.EventSubject("probe", "test/1"))
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
		})
	}
}
