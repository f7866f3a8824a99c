package mesh

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestReconnectAfterRestart: a closes and comes back on the same port with the same identity; b
// (a bootstrap peer of b) and c (dialled once, so remembered) both reconnect on their own.
func TestReconnectAfterRestart(t *testing.T) {
	key := newKey(t)
	a := start(t, Config{PrivKey: key})
	addr := loopbackAddr(t, a)
	b := start(t, Config{Bootstrap: []string{addr}})
	c := start(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Dial(ctx, addr); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "b and c connect to a", func() bool { return len(a.Peers()) == 2 })

	_ = a.Close()
	eventually(t, 5*time.Second, "b and c see a go", func() bool {
		return !connectedTo(b, a.Self()) && !connectedTo(c, a.Self())
	})
	time.Sleep(300 * time.Millisecond) // a few failed redials: backoff grows

	listen := strings.Split(addr, "/p2p/")[0]
	a2 := start(t, Config{PrivKey: key, ListenAddrs: []string{listen}})
	if a2.Self() != a.Self() {
		t.Fatal("restarted with another identity")
	}
	t0 := time.Now()
	eventually(t, 5*time.Second, "b and c reconnect to the restarted a", func() bool {
		return connectedTo(b, a.Self()) && connectedTo(c, a.Self())
	})
	t.Logf("reconnected %s after the restart", time.Since(t0).Round(time.Millisecond))
}

func TestSetBootstrap(t *testing.T) {
	a := start(t, Config{})
	b := start(t, Config{})
	if err := b.SetBootstrap([]string{"/ip4/127.0.0.1/tcp/1"}); !errors.Is(err, ErrBadAddr) {
		t.Errorf("address without /p2p/: %v, want ErrBadAddr", err)
	}
	// Its own address is skipped; a is dialled.
	if err := b.SetBootstrap([]string{loopbackAddr(t, b), loopbackAddr(t, a)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "b dials its new bootstrap peer", func() bool { return connectedTo(b, a.Self()) })
	if got := b.Bootstrap(); len(got) != 1 || got[0] != a.Self() {
		t.Errorf("Bootstrap() = %v, want [a]", got)
	}
	if !b.cm.IsProtected(a.Host().ID(), protectTag) {
		t.Error("bootstrap peer not protected from trimming")
	}
	if err := b.SetBootstrap(nil); err != nil {
		t.Fatal(err)
	}
	if got := b.Bootstrap(); len(got) != 0 {
		t.Errorf("Bootstrap() = %v after clearing", got)
	}
	if !connectedTo(b, a.Self()) {
		t.Error("clearing the bootstrap list dropped the connection")
	}
	if b.cm.IsProtected(a.Host().ID(), protectTag) {
		t.Error("a former bootstrap peer is still protected")
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := time.Second, time.Minute
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 32 * time.Second, 7: time.Minute, 100: time.Minute} {
		for range 20 {
			got := backoff(lo, hi, n)
			if got < want*8/10 || got > want*12/10 {
				t.Fatalf("backoff after %d failures = %s, want %s ±20%%", n, got, want)
			}
		}
	}
}
