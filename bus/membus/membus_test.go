package membus_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/membus"
)

// recorder collects what its subscriptions receive, labelled by name.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) on(name string) func(bus.Msg) {
	return func(m bus.Msg) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, fmt.Sprintf("%s<-%s:%s", name, m.Subject, m.Data))
	}
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got = nil
	return got
}

func mustSub(t *testing.T, b bus.Bus, pattern string, fn func(bus.Msg)) bus.Subscription {
	t.Helper()
	s, err := b.Subscribe(pattern, fn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDeliversSynchronouslyInSubscriptionOrder(t *testing.T) {
	b := membus.New()
	var r recorder
	mustSub(t, b, bus.AllEvents, r.on("all"))
	mustSub(t, b, bus.EntitySubject("room/r1"), r.on("room"))
	mustSub(t, b, bus.TypeSubject("message_posted"), r.on("posted"))
	mustSub(t, b, "other.>", r.on("other"))

	if err := b.Publish(bus.EventSubject("message_posted", "room/r1"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"all<-meshhold.events.message_posted.room:r1:1",
		"room<-meshhold.events.message_posted.room:r1:1",
		"posted<-meshhold.events.message_posted.room:r1:1",
	}
	if got := r.take(); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if err := b.Publish(bus.EventSubject("member_joined", "room/r2"), []byte("2")); err != nil {
		t.Fatal(err)
	}
	if got := r.take(); !slices.Equal(got, []string{"all<-meshhold.events.member_joined.room:r2:2"}) {
		t.Fatalf("got %q", got)
	}
}

func TestReentrantPublishKeepsOrder(t *testing.T) {
	b := membus.New()
	var r recorder
	mustSub(t, b, "a", func(m bus.Msg) {
		r.on("first")(m)
		if err := b.Publish("b", []byte("from-a")); err != nil {
			t.Error(err)
		}
	})
	mustSub(t, b, "*", r.on("star"))
	if err := b.Publish("a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	want := []string{"first<-a:x", "star<-a:x", "star<-b:from-a"}
	if got := r.take(); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestUnsubscribe(t *testing.T) {
	b := membus.New()
	var r recorder
	var second bus.Subscription
	mustSub(t, b, "s", func(m bus.Msg) {
		r.on("first")(m)
		_ = second.Unsubscribe() // removes the later subscriber before it sees this message
	})
	second = mustSub(t, b, "s", r.on("second"))
	if err := b.Publish("s", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if got := r.take(); !slices.Equal(got, []string{"first<-s:1"}) {
		t.Fatalf("got %q", got)
	}
	if err := second.Unsubscribe(); err != nil {
		t.Fatalf("second Unsubscribe: %v", err)
	}
	if n := b.Subscribers(); n != 1 {
		t.Fatalf("Subscribers() = %d, want 1", n)
	}
}

func TestDataIsCopied(t *testing.T) {
	b := membus.New()
	var got [][]byte
	mustSub(t, b, "x", func(m bus.Msg) { m.Data[0] = 'Z'; got = append(got, m.Data) })
	mustSub(t, b, "x", func(m bus.Msg) { got = append(got, m.Data) })
	data := []byte("abc")
	if err := b.Publish("x", data); err != nil {
		t.Fatal(err)
	}
	data[1] = 'Q'
	if string(got[0]) != "Zbc" || string(got[1]) != "abc" {
		t.Fatalf("got %q %q", got[0], got[1])
	}
}

func TestInvalidSubjectsAndClose(t *testing.T) {
	b := membus.New()
	for _, s := range []string{"", "a..b", "a.*", "a.>", ".a", "a b"} {
		if err := b.Publish(s, nil); err == nil {
			t.Errorf("Publish(%q) accepted", s)
		}
	}
	for _, s := range []string{"", "a..b", "a.>.b", "a."} {
		if _, err := b.Subscribe(s, func(bus.Msg) {}); err == nil {
			t.Errorf("Subscribe(%q) accepted", s)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish("a", nil); !errors.Is(err, membus.ErrClosed) {
		t.Errorf("Publish after Close: %v", err)
	}
	if _, err := b.Subscribe("a", func(bus.Msg) {}); !errors.Is(err, membus.ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
}

func TestConcurrentPublishersNeverOverlapHandlers(t *testing.T) {
	b := membus.New()
	var mu sync.Mutex
	inHandler, count := false, 0
	mustSub(t, b, ">", func(bus.Msg) {
		mu.Lock()
		if inHandler {
			t.Error("handlers overlap")
		}
		inHandler = true
		mu.Unlock()
		mu.Lock()
		inHandler = false
		count++
		mu.Unlock()
	})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				if err := b.Publish(fmt.Sprintf("g%d.m%d", g, i), nil); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if count != 2000 {
		t.Fatalf("delivered %d, want 2000", count)
	}
}
