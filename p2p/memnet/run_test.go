package memnet_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
)

// roundTrip sends msg over /echo from a to b and returns the answer.
func roundTrip(t *testing.T, n *memnet.Network, msg string) string {
	t.Helper()
	s := open(t, n, "/echo")
	if _, err := s.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	_ = s.CloseWrite()
	got, err := io.ReadAll(s)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	return string(got)
}

func TestRunPumpInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := bubbleNet(t, memnet.Faults{Delay: 10 * time.Millisecond})
		n.Node("b").SetStreamHandler("/echo", echo)
		ta, _ := join(t, n.Node("a"), "t")
		tb, _ := n.Node("b").Join("t")
		got := make(chan p2p.Message, 1)
		_, _ = tb.Subscribe(func(m p2p.Message) { got <- m })
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- n.Run(ctx) }()

		start := time.Now()
		if s := roundTrip(t, n, "ping"); s != "ping" {
			t.Fatalf("echo %q", s)
		}
		if rtt := time.Since(start); rtt != 20*time.Millisecond { // open+data out, data+EOF back
			t.Fatalf("round trip took %v of virtual time, want 20ms", rtt)
		}
		publish(t, ta, "hi")
		if m := <-got; string(m.Data) != "hi" {
			t.Fatalf("got %q", m.Data)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
	})
}

// TestRunPumpLeavesNoGoroutines runs on the real clock: Run, handler goroutines and blocked
// readers must all be gone once Run is cancelled and the nodes crash.
func TestRunPumpLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	n := memnet.New(1, memnet.Config{Faults: memnet.Faults{Delay: time.Millisecond, Jitter: time.Millisecond}})
	n.Node("a")
	n.Node("b")
	mesh(t, n, "a", "b")
	n.Node("b").SetStreamHandler("/echo", echo)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- n.Run(ctx) }()
	for range 20 {
		if s := roundTrip(t, n, "ping"); s != "ping" {
			t.Fatalf("echo %q", s)
		}
	}
	for range 5 { // left open: their handlers block in Read until the crash resets them
		open(t, n, "/echo")
	}
	deadline := time.Now().Add(5 * time.Second)
	for n.Stats().Opened < 25 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	n.Crash("b")
	cancel()
	<-done
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines, %d before:\n%s", got, before, buf[:runtime.Stack(buf, true)])
	}
}
