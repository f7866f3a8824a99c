package memnet_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
)

// bubbleNet builds, inside a synctest bubble, a network on the bubble's clock with a and b linked.
func bubbleNet(t *testing.T, f memnet.Faults) *memnet.Network {
	t.Helper()
	n := memnet.New(1, memnet.Config{Faults: f})
	n.Node("a")
	n.Node("b")
	mesh(t, n, "a", "b")
	return n
}

// echo serves /echo: it copies what it reads back until EOF, then closes.
func echo(s p2p.Stream) {
	_, _ = io.Copy(s, s)
	_ = s.Close()
}

// open opens /proto from a to b, failing the test on error.
func open(t *testing.T, n *memnet.Network, proto string) p2p.Stream {
	t.Helper()
	s, err := n.Node("a").OpenStream(context.Background(), "b", proto)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readAll reads s to the end on a goroutine and returns where the result lands.
func readAll(s p2p.Stream) (res *[]byte, errp *error) {
	var got []byte
	var err error
	go func() { got, err = io.ReadAll(s) }()
	return &got, &err
}

func TestStreamCarriesBytesInOrderDespiteJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := bubbleNet(t, memnet.Faults{Delay: time.Millisecond, Jitter: 50 * time.Millisecond})
		n.Node("b").SetStreamHandler("/echo", echo)
		s := open(t, n, "/echo")
		got, errp := readAll(s)
		var want bytes.Buffer
		r := rand.New(rand.NewPCG(1, 2))
		for i := range 500 {
			p := make([]byte, 1+r.IntN(3000))
			for j := range p {
				p[j] = byte(i + j)
			}
			want.Write(p)
			if _, err := s.Write(p); err != nil {
				t.Fatal(err)
			}
			if i%50 == 0 {
				drive(n, 10*time.Millisecond) // interleave writes with deliveries
			}
		}
		big := bytes.Repeat([]byte("0123456789"), 20000) // 200 kB: several chunks
		want.Write(big)
		_, _ = s.Write(big)
		_ = s.CloseWrite()
		drive(n, 0)
		if *errp != nil || !bytes.Equal(*got, want.Bytes()) {
			t.Fatalf("echo: err %v, %d bytes back, want %d in order", *errp, len(*got), want.Len())
		}
		_ = s.Close()
	})
}

func TestStreamRefusedWithoutHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := bubbleNet(t, memnet.Faults{Delay: time.Millisecond})
		s := open(t, n, "/nobody")
		if _, err := s.Write([]byte("queued")); err != nil {
			t.Fatalf("write before the refusal arrives: %v", err)
		}
		drive(n, 0)
		if _, err := s.Read(make([]byte, 1)); !errors.Is(err, memnet.ErrReset) {
			t.Fatalf("read: %v, want ErrReset", err)
		}
		if st := n.Stats(); st.Refused != 1 {
			t.Fatalf("refused %d", st.Refused)
		}
	})
}

func TestStreamResetReachesThePeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := bubbleNet(t, memnet.Faults{Delay: time.Millisecond})
		n.Node("b").SetStreamHandler("/rst", func(s p2p.Stream) {
			buf := make([]byte, 5)
			_, _ = io.ReadFull(s, buf)
			_ = s.Reset()
		})
		s := open(t, n, "/rst")
		_, _ = s.Write([]byte("hello"))
		_, errp := readAll(s)
		drive(n, 0)
		if !errors.Is(*errp, memnet.ErrReset) {
			t.Fatalf("opener read: %v, want ErrReset", *errp)
		}
		if _, err := s.Write([]byte("x")); !errors.Is(err, memnet.ErrReset) {
			t.Fatalf("write after reset: %v", err)
		}
	})
}

func TestStreamDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := bubbleNet(t, memnet.Faults{Delay: time.Millisecond})
		n.Node("b").SetStreamHandler("/silent", func(s p2p.Stream) {
			_, _ = io.Copy(io.Discard, s) // never answers
		})
		s := open(t, n, "/silent")
		start := time.Now()
		_ = s.SetDeadline(start.Add(3 * time.Second))
		_, errp := readAll(s)
		drive(n, 0)
		if !errors.Is(*errp, os.ErrDeadlineExceeded) {
			t.Fatalf("read: %v", *errp)
		}
		if waited := time.Since(start); waited != 3*time.Second {
			t.Fatalf("deadline passed after %v", waited)
		}
		_ = s.Reset()
		drive(n, 0)
	})
}

func TestPartitionStallsStreamThenHealResumesInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := bubbleNet(t, memnet.Faults{Delay: time.Millisecond, Jitter: 5 * time.Millisecond})
		n.Node("b").SetStreamHandler("/echo", echo)
		s := open(t, n, "/echo")
		got, errp := readAll(s)
		_, _ = s.Write([]byte("before "))
		drive(n, time.Second)
		n.Partition("a", "b")
		_, _ = s.Write([]byte("during "))
		drive(n, 5*time.Second) // shorter than the timeout
		if string(*got) != "" || *errp != nil {
			t.Fatalf("read returned %q, %v while partitioned", *got, *errp)
		}
		n.Heal()
		_, _ = s.Write([]byte("after"))
		_ = s.CloseWrite()
		drive(n, 0)
		if want := "before during after"; string(*got) != want || *errp != nil {
			t.Fatalf("got %q, %v; want %q", *got, *errp, want)
		}
		if st := n.Stats(); st.Stalled == 0 {
			t.Fatal("nothing stalled")
		}
	})
}

func TestLongPartitionResetsStreams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := bubbleNet(t, memnet.Faults{Delay: time.Millisecond})
		handlerErr := make(chan error, 1)
		n.Node("b").SetStreamHandler("/hold", func(s p2p.Stream) {
			_, err := io.Copy(io.Discard, s)
			handlerErr <- err
		})
		s := open(t, n, "/hold")
		drive(n, time.Second)
		n.PartitionOneWay("a", "b") // one way: the link stays, the stalled stream times out
		_, _ = s.Write([]byte("stuck"))
		_, errp := readAll(s)
		start := time.Now()
		drive(n, 0)
		if !errors.Is(*errp, memnet.ErrReset) || !errors.Is(<-handlerErr, memnet.ErrReset) {
			t.Fatalf("opener %v; both ends must reset", *errp)
		}
		if waited := time.Since(start); waited < memnet.DefaultTimeout || waited > memnet.DefaultTimeout+time.Second {
			t.Fatalf("reset after %v, want about %v", waited, memnet.DefaultTimeout)
		}
		if _, err := s.Write([]byte("x")); !errors.Is(err, memnet.ErrReset) {
			t.Fatalf("write after the timeout: %v", err)
		}
	})
}

func TestCrashResetsStreamsAndRestartRelinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := bubbleNet(t, memnet.Faults{Delay: time.Millisecond})
		n.Node("c")
		mesh(t, n, "b", "c")
		handlerErr := make(chan error, 2)
		n.Node("b").SetStreamHandler("/hold", func(s p2p.Stream) {
			_, err := io.Copy(io.Discard, s)
			handlerErr <- err
		})
		ta, _ := join(t, n.Node("a"), "t")
		_, inb := join(t, n.Node("b"), "t")
		s1, s2 := open(t, n, "/hold"), open(t, n, "/hold")
		_, err1 := readAll(s1)
		_, err2 := readAll(s2)
		drive(n, time.Second)

		old := n.Node("b")
		n.Crash("b")
		drive(n, 0)
		for i, err := range []error{*err1, *err2, <-handlerErr, <-handlerErr} {
			if !errors.Is(err, memnet.ErrReset) {
				t.Fatalf("stream end %d: %v, want ErrReset", i, err)
			}
		}
		if got := n.Node("a").Peers(); len(got) != 0 {
			t.Fatalf("a still linked to %v", got)
		}
		if _, err := old.Join("u"); !errors.Is(err, memnet.ErrClosed) {
			t.Fatalf("dead transport join: %v", err)
		}
		publish(t, ta, "while down")

		nb, err := n.Restart("b")
		if err != nil {
			t.Fatal(err)
		}
		if n.Node("b") != nb {
			t.Fatal("Node does not return the new incarnation")
		}
		drive(n, 0)
		if got := nb.Peers(); len(got) != 2 {
			t.Fatalf("restarted b linked to %v, want a and c", got)
		}
		publish(t, ta, "no subscriber yet")
		_, inb2 := join(t, nb, "t")
		publish(t, ta, "back")
		drive(n, 0)
		if len(inb.data()) != 0 || len(inb2.data()) != 1 {
			t.Fatalf("old inbox %q, new inbox %q", inb.data(), inb2.data())
		}
		if _, err := nb.OpenStream(context.Background(), "a", "/nobody"); err != nil {
			t.Fatal(err)
		}
		drive(n, 0)
	})
}

func TestResetAfterCloseWriteStillReachesThePeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := bubbleNet(t, memnet.Faults{Delay: time.Millisecond})
		proceed, result := make(chan struct{}), make(chan error, 1)
		n.Node("b").SetStreamHandler("/late", func(s p2p.Stream) {
			_, _ = io.Copy(io.Discard, s) // to the opener's EOF
			_, _ = s.Write([]byte("answer"))
			<-proceed
			_, err := s.Write([]byte("more"))
			result <- err
		})
		s := open(t, n, "/late")
		_ = s.CloseWrite()
		drive(n, 0)
		_ = s.Reset()
		drive(n, 0)
		close(proceed)
		if err := <-result; !errors.Is(err, memnet.ErrReset) {
			t.Fatalf("handler write after the opener's reset: %v", err)
		}
	})
}
