package stream_test

import (
	"errors"
	"testing"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/bus/natsbus"
	"github.com/meshhold/meshhold/http/stream"
	"github.com/meshhold/meshhold/messages/eventv1"
)

func publish(t *testing.T, b bus.Bus, ev *eventv1.Event) {
	t.Helper()
	if err := b.Publish(bus.EventSubject(ev.Type, ev.Entity), bus.Envelope(ev)); err != nil {
		t.Fatal(err)
	}
}

// Each bus message is parsed and rendered once; matching clients share the same Event.
func TestBroadcasterSharesOneRendering(t *testing.T) {
	mb := membus.New()
	bc, err := stream.NewBroadcaster(mb, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	all, _ := bc.Register(nil, 0)
	some, _ := bc.Register([]string{"b_made"}, 0)
	publish(t, mb, &eventv1.Event{Type: "a_made", Entity: "x/1", LogSeq: 7, Data: []byte("{\"k\": [1,\n 2]}")})
	publish(t, mb, &eventv1.Event{Type: "b_made", Entity: "x/1", LogSeq: 8})
	_ = mb.Publish(bus.EventSubject("junk", "x/1"), []byte("not json"))
	_ = mb.Publish(bus.EventSubject("junk", "x/1"), []byte(`{"type":"Bad\nType","log_seq":9}`))
	_ = mb.Publish(bus.EventSubject("junk", "x/1"), []byte(`{"type":"no_seq"}`))

	a, b := <-all.Events(), <-all.Events()
	if want := "id: 7\nevent: a_made\ndata: " + `{"type":"a_made","entity":"x/1","seq":0,"log_seq":7,"node_id":"","ts_ms":0,"k":[1,2]}` + "\n\n"; string(a.Frame) != want {
		t.Fatalf("frame %q\nwant  %q", a.Frame, want)
	}
	if a.Type != "a_made" || a.LogSeq != 7 || string(a.Data) != string(a.Frame[len("id: 7\nevent: a_made\ndata: "):len(a.Frame)-2]) {
		t.Fatalf("event %+v", a)
	}
	if got := <-some.Events(); got != b {
		t.Fatal("the filtered client got another copy of event 8, not the shared one")
	}
	if len(all.Events())+len(some.Events()) != 0 {
		t.Fatal("a malformed message was streamed")
	}
}

// A full queue disconnects only that client; Close ends the rest and unsubscribes.
func TestBroadcasterDropsAndCloses(t *testing.T) {
	mb := membus.New()
	bc, err := stream.NewBroadcaster(mb, nil)
	if err != nil {
		t.Fatal(err)
	}
	slow, _ := bc.Register(nil, 1)
	fast, _ := bc.Register(nil, 8)
	for i := range 3 {
		publish(t, mb, &eventv1.Event{Type: "a_made", Entity: "x/1", LogSeq: uint64(i + 1)})
	}
	select {
	case <-slow.Done():
	default:
		t.Fatal("the slow client is still registered")
	}
	if !errors.Is(slow.Err(), stream.ErrSlow) || fast.Err() != nil || bc.Clients() != 1 || bc.Dropped() != 1 || len(fast.Events()) != 3 {
		t.Fatalf("slow %v, fast %v, %d clients, %d dropped, %d queued", slow.Err(), fast.Err(), bc.Clients(), bc.Dropped(), len(fast.Events()))
	}
	bc.Close()
	bc.Close()
	if !errors.Is(fast.Err(), stream.ErrClosed) || mb.Subscribers() != 0 {
		t.Fatalf("after Close: %v, %d bus subscriptions", fast.Err(), mb.Subscribers())
	}
	if _, err := bc.Register(nil, 0); !errors.Is(err, stream.ErrClosed) {
		t.Fatalf("Register after Close: %v", err)
	}
}

// The broadcaster works on the embedded NATS bus the daemon uses.
func TestBroadcasterOnNATS(t *testing.T) {
	nb, err := natsbus.Start(natsbus.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nb.Close()
	bc, err := stream.NewBroadcaster(nb, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	c, _ := bc.Register(nil, 0)
	publish(t, nb, &eventv1.Event{Type: "a_made", Entity: "vault/v.1", LogSeq: 1})
	select {
	case ev := <-c.Events():
		if ev.LogSeq != 1 || ev.Type != "a_made" {
			t.Fatalf("got %+v", ev)
		}
	case <-c.Done():
		t.Fatal(c.Err())
	case <-timeout():
		t.Fatal("nothing arrived over NATS")
	}
}
