package memnet_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
)

// Two nodes exchange one gossip message; the network owns time (a standing clock) and traces.
func Example() {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	n := memnet.New(1, memnet.Config{
		Faults: memnet.Faults{Delay: 10 * time.Millisecond},
		Now:    func() time.Time { return start },
		Trace:  os.Stdout,
	})
	a, b := n.Node("a"), n.Node("b")
	_ = n.Connect("a", "b")
	ta, _ := a.Join("meshhold/hello")
	tb, _ := b.Join("meshhold/hello")
	_, _ = tb.Subscribe(func(m p2p.Message) { fmt.Printf("b got %q from %s\n", m.Data, m.From) })
	_ = ta.Publish(context.Background(), []byte("hi"))
	n.RunUntilIdle()
	fmt.Println("clock moved", n.Now().Sub(start))
	// Output:
	// +0s ctl node a
	// +0s ctl node b
	// +0s ctl connect a>b
	// +0s event deliver b>a connected #1
	// +0s event deliver a>b connected #1
	// +10ms gossip deliver a>b meshhold/hello #1 len=2 h=08ba5f07b55ec3da
	// b got "hi" from a
	// clock moved 10ms
}
