package memnet_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
)

const sent = 20000

// stream1ms publishes sent numbered messages from a to b, 1ms apart, and returns what b received
// (in order) with each message's latency.
func stream1ms(t *testing.T, seed uint64, f memnet.Faults) (got []int, lat []time.Duration, st memnet.Stats) {
	t.Helper()
	n, _ := newNet(t, seed, f, "a", "b")
	mesh(t, n, "a", "b")
	ta, _ := join(t, n.Node("a"), "t")
	tb, _ := n.Node("b").Join("t")
	if _, err := tb.Subscribe(func(m p2p.Message) {
		i, _ := strconv.Atoi(string(m.Data))
		got = append(got, i)
		lat = append(lat, n.Now().Sub(epoch.Add(time.Duration(i)*time.Millisecond)))
	}); err != nil {
		t.Fatal(err)
	}
	for i := range sent {
		n.Advance(epoch.Add(time.Duration(i) * time.Millisecond))
		publish(t, ta, strconv.Itoa(i))
	}
	n.RunUntilIdle()
	return got, lat, n.Stats()
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 0.015 {
		t.Errorf("%s = %.4f, want %.3f ± 0.015", what, got, want)
	} else {
		t.Logf("%s = %.4f (want %.3f)", what, got, want)
	}
}

func TestDropRate(t *testing.T) {
	got, _, st := stream1ms(t, 7, memnet.Faults{Delay: 2 * time.Millisecond, Drop: 0.1})
	near(t, "delivered fraction", float64(len(got))/sent, 0.9)
	if st.Dropped+len(got) != sent {
		t.Errorf("dropped %d + delivered %d != %d", st.Dropped, len(got), sent)
	}
}

func TestDuplicateRate(t *testing.T) {
	got, _, st := stream1ms(t, 7, memnet.Faults{Delay: 2 * time.Millisecond, Duplicate: 0.1})
	near(t, "copies per message - 1", float64(len(got))/sent-1, 0.1)
	if st.Duplicated != len(got)-sent {
		t.Errorf("stats.Duplicated = %d, want %d", st.Duplicated, len(got)-sent)
	}
}

func TestReorderRate(t *testing.T) {
	// Messages 1ms apart, held back by ReorderBy (default 2×Delay = 10ms): a held message is
	// overtaken by the next ones, so the fraction arriving after a later message is Reorder.
	got, _, st := stream1ms(t, 7, memnet.Faults{Delay: 5 * time.Millisecond, Reorder: 0.1})
	late, highest := 0, -1
	for _, i := range got {
		if i < highest {
			late++
		}
		highest = max(highest, i)
	}
	near(t, "late fraction", float64(late)/sent, 0.1)
	if len(got) != sent || st.Reordered != late {
		t.Errorf("delivered %d, stats.Reordered %d, late %d", len(got), st.Reordered, late)
	}
}

func TestLatencyWithinDelayPlusJitter(t *testing.T) {
	const delay, jitter = 3 * time.Millisecond, 4 * time.Millisecond
	_, lat, _ := stream1ms(t, 7, memnet.Faults{Delay: delay, Jitter: jitter})
	var sum time.Duration
	for _, l := range lat {
		if l < delay || l > delay+jitter {
			t.Fatalf("latency %v outside [%v, %v]", l, delay, delay+jitter)
		}
		sum += l
	}
	near(t, "mean latency (ms)", float64(sum/time.Duration(len(lat)))/1e6, 5)
}

func TestStreamOpenDropRate(t *testing.T) {
	const opens = 20000
	n, _ := newNet(t, 3, memnet.Faults{Delay: time.Millisecond, Drop: 0.25}, "a", "b")
	mesh(t, n, "a", "b")
	n.Node("b").SetStreamHandler("/p", func(p2p.Stream) {}) // leaves accepted streams open
	var ss []p2p.Stream
	for range opens {
		s, err := n.Node("a").OpenStream(context.Background(), "b", "/p")
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	n.RunUntilIdle()
	st := n.Stats()
	near(t, "dropped opens", float64(st.Dropped)/opens, 0.25)
	if st.Dropped+st.Opened != opens {
		t.Errorf("dropped %d + opened %d != %d", st.Dropped, st.Opened, opens)
	}
	reset := 0
	for _, s := range ss {
		if _, err := s.Write([]byte("x")); errors.Is(err, memnet.ErrReset) {
			reset++
		}
	}
	if reset != st.Dropped {
		t.Errorf("%d streams reset by the network, want %d (the dropped opens)", reset, st.Dropped)
	}
}

func TestInvalidFaults(t *testing.T) {
	for _, f := range []memnet.Faults{{Drop: 1.5}, {Duplicate: -0.1}, {Reorder: math.NaN()}, {Delay: -1}} {
		if f.Validate() == nil {
			t.Errorf("%+v validated", f)
		}
	}
	n := memnet.New(1, memnet.Config{})
	if n.SetFaults(memnet.Faults{Drop: 2}) == nil {
		t.Error("SetFaults accepted drop 2")
	}
}
