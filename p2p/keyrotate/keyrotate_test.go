package keyrotate

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// drive runs n inside a synctest bubble as the simulator does: after each frame it waits until
// every goroutine the frame woke has blocked again, and sleeps (virtual time) to the next frame,
// until none is left.
func drive(n *memnet.Network) {
	for {
		synctest.Wait()
		if n.Step() {
			continue
		}
		next, ok := n.Next()
		if !ok {
			return
		}
		time.Sleep(time.Until(next))
	}
}

// pair is a network of a (the pusher) and b (the receiver), connected, with 1 ms links.
func pair(t *testing.T) *memnet.Network {
	t.Helper()
	n := memnet.New(1, memnet.Config{Faults: memnet.Faults{Delay: time.Millisecond}})
	n.Node("a")
	n.Node("b")
	if err := n.Connect("a", "b"); err != nil {
		t.Fatal(err)
	}
	return n
}

// push runs Push from a to b while driving the network, and returns its error.
func push(n *memnet.Network, ctx context.Context, networkID string, key swarmkey.Key) error {
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = Push(ctx, n.Node("a"), "b", networkID, key)
	}()
	drive(n)
	<-done
	return err
}

func newKey(t *testing.T, b byte) swarmkey.Key {
	t.Helper()
	k, err := swarmkey.FromBytes(bytes.Repeat([]byte{b}, swarmkey.Size))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// decision records what a Decider was asked and answers with status and err.
type decision struct {
	status string
	err    error

	mu      sync.Mutex
	asked   []string
	applied []string
}

func (d *decision) decide(from p2p.PeerID, networkID string, key swarmkey.Key) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked = append(d.asked, fmt.Sprintf("%s %s %s", from, networkID, key.Fingerprint()))
	return d.status, d.err
}

func (d *decision) onApplied(from p2p.PeerID, networkID string, key swarmkey.Key) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.applied = append(d.applied, fmt.Sprintf("%s %s %s", from, networkID, key.Fingerprint()))
}

func TestPushAnswers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  string
		err     error
		want    error
		text    string
		applied bool
	}{
		{name: "applied", status: StatusApplied, applied: true},
		{name: "held", status: StatusHeld, want: ErrHeld},
		{name: "refused", status: StatusRefused, want: ErrRefused},
		{name: "decider error", status: StatusApplied, err: errors.New("this node has no such network"), want: ErrRefused, text: "no such network"},
		{name: "unknown status", status: "maybe", want: ErrRefused, text: "could not decide"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := pair(t)
				d := &decision{status: tc.status, err: tc.err}
				stop := Serve(n.Node("b"), d.decide, OnApplied(d.onApplied))
				defer stop()
				key := newKey(t, 7)
				err := push(n, context.Background(), "0123456789abcdef", key)
				if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) || !strings.Contains(fmt.Sprint(err), tc.text) {
					t.Fatalf("Push: %v, want %v …%s…", err, tc.want, tc.text)
				}
				synctest.Wait()
				want := "a 0123456789abcdef " + key.Fingerprint()
				d.mu.Lock()
				defer d.mu.Unlock()
				if len(d.asked) != 1 || d.asked[0] != want {
					t.Fatalf("the decider saw %q, want %q: the sender is the stream's peer", d.asked, want)
				}
				if got := len(d.applied) == 1 && d.applied[0] == want; got != tc.applied {
					t.Fatalf("OnApplied ran: %q, want it to run: %v", d.applied, tc.applied)
				}
			})
		})
	}
}

func TestPushToAPeerThatDoesNotServe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pair(t)
		if err := push(n, context.Background(), "0123456789abcdef", newKey(t, 1)); err == nil {
			t.Fatal("a push nobody answers succeeded")
		}
	})
}

func TestPushGivesUpOnASilentPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pair(t)
		n.Node("b").SetStreamHandler(Protocol, func(s p2p.Stream) { _, _ = io.Copy(io.Discard, s) })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		err := push(n, ctx, "0123456789abcdef", newKey(t, 1))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Push: %v, want the context's deadline", err)
		}
		if waited := time.Since(start); waited < 5*time.Second || waited > 5*time.Second+10*time.Millisecond {
			t.Fatalf("gave up after %v, want 5s (and the reset delivered 1 ms later)", waited)
		}
	})
}

// raw opens a stream from a to b, writes frame and returns the answer frame (nil on reset).
func raw(t *testing.T, n *memnet.Network, frame []byte) []byte {
	t.Helper()
	s, err := n.Node("a").OpenStream(context.Background(), "b", Protocol)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var got []byte
	go func() {
		defer close(done)
		_, _ = s.Write(frame)
		got, _ = readFrame(s)
		_ = s.Close()
	}()
	drive(n)
	<-done
	return got
}

func TestServeRefusesMalformedRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pair(t)
		d := &decision{status: StatusApplied}
		defer Serve(n.Node("b"), d.decide)()
		frame := func(v any) []byte {
			body, _ := json.Marshal(v)
			var buf bytes.Buffer
			_ = writeFrame(&buf, body)
			return buf.Bytes()
		}
		good := newKey(t, 3).Text()
		for _, tc := range []struct {
			name  string
			frame []byte
			want  string
		}{
			{"not json", frame("hello"), "malformed request"},
			{"no network", frame(request{Key: good}), "malformed network id"},
			{"spaces in network", frame(request{NetworkID: "a b", Key: good}), "malformed network id"},
			{"bad key", frame(request{NetworkID: "0123456789abcdef", Key: "/key/swarm/psk/1.0.0/\n/base16/\nzz"}), "swarmkey: invalid swarm key"},
		} {
			var a ack
			if err := json.Unmarshal(raw(t, n, tc.frame), &a); err != nil || a.Status != StatusRefused || !strings.Contains(a.Error, tc.want) {
				t.Errorf("%s: answer %+v (%v), want refused: %s", tc.name, a, err, tc.want)
			}
		}
		if got := raw(t, n, oversized(MaxFrame+1)); got != nil {
			t.Errorf("an oversized frame got an answer: %q", got)
		}
		if len(d.asked) != 0 {
			t.Fatalf("the decider was asked about malformed requests: %q", d.asked)
		}
	})
}

// oversized is the start of a frame that claims n bytes.
func oversized(n int) []byte {
	return append(binary.AppendUvarint(nil, uint64(n)), bytes.Repeat([]byte{'x'}, 10)...)
}

func TestFrames(t *testing.T) {
	var buf bytes.Buffer
	for _, body := range [][]byte{nil, []byte("{}"), bytes.Repeat([]byte{'x'}, MaxFrame)} {
		if err := writeFrame(&buf, body); err != nil {
			t.Fatal(err)
		}
	}
	buf.WriteString("trailing")
	for _, want := range []int{0, 2, MaxFrame} {
		got, err := readFrame(&buf)
		if err != nil || len(got) != want {
			t.Fatalf("read %d bytes (%v), want %d", len(got), err, want)
		}
	}
	if buf.String() != "trailing" {
		t.Fatalf("readFrame read past its frame: %q left", buf.String())
	}
	if err := writeFrame(io.Discard, make([]byte, MaxFrame+1)); err == nil {
		t.Fatal("an oversized frame was written")
	}
	if _, err := readFrame(bytes.NewReader([]byte{0x05, 'a'})); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a truncated frame: %v", err)
	}
}
