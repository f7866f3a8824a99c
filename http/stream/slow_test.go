package stream_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/http/stream"
	"github.com/meshhold/meshhold/messages/eventv1"
)

// A client that never reads, with a tiny queue, is disconnected once the socket buffers and
// its queue fill, while a fast client on the same broadcaster receives every event; the
// dropped client then sees its stream end. Events are published straight on the bus here (big
// ones, to fill socket buffers quickly): the committed pipeline plays no part in fan-out.
func TestSlowClientIsDropped(t *testing.T) {
	r := newRig(t, 0)
	fastSrv, slowSrv := r.serve(stream.Config{}), r.serve(stream.Config{QueueSize: 4})
	slow := request(t, nil, slowSrv.url, nil)
	buf := make([]byte, len(": connected\n\n"))
	if _, err := ioReadFull(slow, buf, wait); err != nil || string(buf) != ": connected\n\n" {
		t.Fatalf("slow client's first bytes %q (%v)", buf, err)
	}
	fast := open(t, nil, fastSrv.url, nil)
	const size = 32 << 10
	pad := strings.Repeat("x", size)
	seq := uint64(0)
	publish := func() {
		seq++
		ev := &eventv1.Event{Type: "big_thing", Entity: "test/big", Seq: seq, LogSeq: seq, Data: fmt.Appendf(nil, `{"pad":%q}`, pad)}
		if err := r.bus.Publish(bus.EventSubject(ev.Type, ev.Entity), bus.Envelope(ev)); err != nil {
			t.Fatal(err)
		}
		if f := fast.event(wait); f.id != fmt.Sprint(seq) {
			t.Fatalf("fast client got %+v, want id %d", f, seq)
		}
	}
	for r.bc.Dropped() == 0 {
		if seq > 5000 {
			t.Fatal("the slow client was never dropped")
		}
		publish()
	}
	dropped := seq
	for range 50 {
		publish()
	}
	eventually(t, wait, "the slow handler to return", func() bool { return slowSrv.active.Load() == 0 })
	if n := r.bc.Clients(); n != 1 || fastSrv.active.Load() != 1 {
		t.Fatalf("%d clients, %d fast handlers; want only the fast one", n, fastSrv.active.Load())
	}
	ended := make(chan int64, 1)
	go func() { n, _ := io.Copy(io.Discard, slow.Body); ended <- n }()
	select {
	case n := <-ended:
		if n >= int64(seq)*size {
			t.Fatalf("the slow client received %d bytes: everything, though it was dropped", n)
		}
		t.Logf("slow client dropped at event %d, after receiving %d KiB; the fast one got all %d", dropped, n>>10, seq)
	case <-time.After(wait):
		t.Fatal("the slow client's stream did not end")
	}
}
