package node_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

var errInjected = errors.New("injected commit failure")

// flaky wraps the real bbolt store and fails the next commit on request.
type flaky struct {
	persist.Store
	failNext atomic.Bool
}

func (f *flaky) Commit(ws []persist.Write) error {
	if f.failNext.CompareAndSwap(true, false) {
		return errInjected
	}
	return f.Store.Commit(ws)
}

// rig is a node over bbolt in a temp folder with the counter kind registered and a subscriber
// recording every published event.
type rig struct {
	t       testing.TB
	path    string
	max     uint64
	bolt    *boltdb.Store
	store   *flaky
	node    *node.Node
	mgr     *host.Manager
	mu      sync.Mutex
	events  []map[string]any
	commits []host.CommitStats
}

func newRig(t testing.TB, eventLogMax uint64) *rig {
	r := &rig{t: t, path: filepath.Join(t.TempDir(), boltdb.FileName), max: eventLogMax}
	r.start()
	t.Cleanup(func() {
		if r.node != nil {
			r.stop()
		}
	})
	return r
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func (r *rig) start() {
	var err error
	if r.bolt, err = boltdb.Open(r.path, boltdb.Options{}); err != nil {
		r.t.Fatal(err)
	}
	r.store = &flaky{Store: r.bolt}
	b := membus.New()
	if _, err := b.Subscribe(bus.AllEvents, func(m bus.Msg) {
		var ev map[string]any
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			r.t.Errorf("event is not JSON: %v", err)
		}
		r.mu.Lock()
		r.events = append(r.events, ev)
		r.mu.Unlock()
	}); err != nil {
		r.t.Fatal(err)
	}
	r.node, err = node.Start(node.Deps{Store: r.store, Bus: b, NodeID: "12D3KooWtest", Logger: quiet(), EventLogMax: r.max,
		Stats: func(s host.CommitStats) { r.mu.Lock(); r.commits = append(r.commits, s); r.mu.Unlock() }})
	if err != nil {
		r.t.Fatal(err)
	}
	if r.mgr, err = r.node.Register("counter", loadCounter); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) stop() {
	if err := r.node.Stop(context.Background()); err != nil {
		r.t.Errorf("stop: %v", err)
	}
	r.node = nil
	if err := r.bolt.Close(); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) ask(id string, msg any) (value, error) {
	return host.Ask[value](context.Background(), r.node.Root, r.mgr.PID, host.To{ID: id, Msg: msg}, 10*time.Second)
}

func (r *rig) logSeqs() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []uint64
	for _, ev := range r.events {
		out = append(out, uint64(ev["log_seq"].(float64)))
	}
	return out
}

// commitStats copies what the committer reported so far.
func (r *rig) commitStats() []host.CommitStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]host.CommitStats(nil), r.commits...)
}

// hammer runs clients concurrent clients, each adding 1 each times to entity c%entities.
func (r *rig) hammer(clients, each, entities int) {
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := r.ask(fmt.Sprint(c%entities), incr{By: 1}); err != nil {
					r.t.Error(err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
}

// Many clients on many entities: every acknowledged increment is durable, commits are grouped
// across entities, and events go out densely in log_seq order.
func TestGroupCommitAcrossEntities(t *testing.T) {
	for _, entities := range []int{1, 8} {
		t.Run(fmt.Sprintf("entities=%d", entities), func(t *testing.T) {
			r := newRig(t, 0)
			const clients, each = 64, 20
			r.hammer(clients, each, entities)
			for e := 0; e < entities; e++ {
				v, err := r.ask(fmt.Sprint(e), get{})
				if err != nil || v.N != uint64(clients/entities*each) {
					t.Fatalf("counter/%d = %d (%v), want %d", e, v.N, err, clients/entities*each)
				}
			}
			seqs := r.logSeqs()
			if len(seqs) != clients*each {
				t.Fatalf("%d events published, want %d", len(seqs), clients*each)
			}
			for i, s := range seqs {
				if s != uint64(i+1) {
					t.Fatalf("event %d published with log_seq %d: out of order or not dense", i, s)
				}
			}
			commits := r.commitStats()
			multi := 0
			for _, c := range commits {
				if c.Batches > 1 {
					multi++
				}
			}
			if len(commits)*4 > clients*each {
				t.Fatalf("%d commits for %d writes: not grouping", len(commits), clients*each)
			}
			if entities > 1 && multi == 0 {
				t.Fatal("no commit carried batches of two entities")
			}
			t.Logf("%d writes in %d commits (%d with several entities)", clients*each, len(commits), multi)
		})
	}
}

// A failed commit answers every request of its batch with ErrStorage and applies nothing; the
// actor restarts from what is durable and goes on.
func TestFailedCommitAnswersErrStorage(t *testing.T) {
	r := newRig(t, 0)
	if _, err := r.ask("x", incr{By: 1}); err != nil {
		t.Fatal(err)
	}
	r.store.failNext.Store(true)
	var mu sync.Mutex
	acked, failed := 1, 0
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.ask("x", incr{By: 1})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, messages.ErrStorage):
				failed++
			case err == nil:
				acked++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if failed == 0 {
		t.Fatal("the injected failure reached no request")
	}
	v, err := r.ask("x", get{})
	if err != nil || v.N != uint64(acked) {
		t.Fatalf("counter = %d (%v), want the %d acknowledged increments (%d failed)", v.N, err, acked, failed)
	}
	if _, err := r.ask("x", incr{By: 1}); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
}

// log_seq only rises: the event log is pruned to its bound and, after a restart, new events
// continue the sequence instead of reusing ids (SSE Last-Event-ID depends on it).
func TestLogSeqRisesAfterPruneAndRestart(t *testing.T) {
	r := newRig(t, 5)
	for i := 0; i < 12; i++ {
		if _, err := r.ask("p", incr{By: 1}); err != nil {
			t.Fatal(err)
		}
	}
	r.stop()
	r.start()
	for i := 0; i < 3; i++ {
		if _, err := r.ask("p", incr{By: 1}); err != nil {
			t.Fatal(err)
		}
	}
	seqs := r.logSeqs()
	if got := seqs[len(seqs)-1]; got != 15 {
		t.Fatalf("last log_seq %d after prune and restart, want 15 (all: %v)", got, seqs)
	}
	var kept []uint64
	_ = persist.ReadWith(r.bolt, func(v persist.View) error {
		v.Scan(persist.Events, "", "", func(k string, _ []byte) bool {
			kept = append(kept, binary.BigEndian.Uint64([]byte(k)))
			return true
		})
		return nil
	})
	if len(kept) != 5 || kept[0] != 11 || kept[4] != 15 {
		t.Fatalf("event log holds %v, want 11..15", kept)
	}
	r.mu.Lock()
	last := r.events[len(r.events)-1]
	r.mu.Unlock()
	if last["seq"].(float64) != 15 || last["entity"] != "counter/p" || last["type"] != "counted" || last["n"].(float64) != 15 {
		t.Fatalf("last event %v: want seq 15 of counter/p with n=15", last)
	}
}

// Stopping the node while clients write loses no acknowledged write.
func TestStopDuringWritesLosesNoAcknowledgedWrite(t *testing.T) {
	r := newRig(t, 0)
	const entities = 4
	var acked [entities]atomic.Uint64
	var wg sync.WaitGroup
	root, mgr := r.node.Root, r.mgr.PID // r.stop clears r.node while the clients still run
	for c := 0; c < 32; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for {
				v, err := host.Ask[value](context.Background(), root, mgr, host.To{ID: fmt.Sprint(c % entities), Msg: incr{By: 1}}, 500*time.Millisecond)
				if err != nil {
					return
				}
				for {
					cur := acked[c%entities].Load()
					if v.N <= cur || acked[c%entities].CompareAndSwap(cur, v.N) {
						break
					}
				}
			}
		}(c)
	}
	time.Sleep(150 * time.Millisecond)
	r.stop()
	wg.Wait()
	r.start()
	total := uint64(0)
	for e := 0; e < entities; e++ {
		v, err := r.ask(fmt.Sprint(e), get{})
		if err != nil {
			t.Fatal(err)
		}
		if v.N < acked[e].Load() {
			t.Fatalf("counter/%d holds %d after restart, but %d was acknowledged", e, v.N, acked[e].Load())
		}
		total += acked[e].Load()
	}
	if total == 0 {
		t.Fatal("no write was acknowledged before the stop")
	}
}

// A panic restarts the actor from its records, and Recovered re-arms its timers.
func TestRestartReloadsAndRearmsTimers(t *testing.T) {
	r := newRig(t, 0)
	if _, err := r.ask("t", incr{By: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ask("t", arm{After: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	r.node.Root.Send(r.mgr.PID, host.To{ID: "t", Msg: boom{}})
	v, err := r.ask("t", get{})
	if err != nil || v.N != 3 {
		t.Fatalf("after a crash: %d %v, want 3", v.N, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := r.ask("t", getRings{})
		if err == nil && v.N == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the timer armed before the crash never rang: %d %v", v.N, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Domain errors travel as reply values.
func TestDomainErrorIsAReply(t *testing.T) {
	r := newRig(t, 0)
	if _, err := r.ask("d", incr{By: 0}); !errors.Is(err, errNotPositive) {
		t.Fatalf("err = %v, want errNotPositive", err)
	}
}

// The event log read model replays what was committed after a cursor and reports the oldest
// event still retained.
func TestEventLogReadsAfterCursor(t *testing.T) {
	r := newRig(t, 4)
	for i := 0; i < 6; i++ {
		if _, err := r.ask("e", incr{By: 1}); err != nil {
			t.Fatal(err)
		}
	}
	log := host.EventLog{Store: r.bolt}
	var got []uint64
	oldest, newest, err := log.Read(4, 0, func(ev *eventv1.Event) bool { got = append(got, ev.GetLogSeq()); return true })
	if err != nil || oldest != 3 || newest != 6 || fmt.Sprint(got) != "[5 6]" {
		t.Fatalf("read after 4: %v oldest %d newest %d err %v; want [5 6] oldest 3 newest 6", got, oldest, newest, err)
	}
	got = nil
	if _, _, err := log.Read(0, 2, func(ev *eventv1.Event) bool { got = append(got, ev.GetLogSeq()); return true }); err != nil || fmt.Sprint(got) != "[3 4]" {
		t.Fatalf("read 2 from the start: %v %v", got, err)
	}
}

// Asks reach a running child directly; after it stops, the manager spawns it again from its
// records.
func TestAskChildDirectAndAfterStop(t *testing.T) {
	r := newRig(t, 0)
	ask := func(msg any) (value, error) {
		return host.AskChild[value](context.Background(), r.node.Root, r.mgr, "d", msg, 5*time.Second)
	}
	if _, err := ask(incr{By: 2}); err != nil {
		t.Fatal(err)
	}
	pid := r.mgr.Child("d")
	if pid == nil || pid.Id != "counter/d" {
		t.Fatalf("directory holds %v, want counter/d", pid)
	}
	if err := r.node.Root.PoisonFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := ask(get{})
		if err == nil {
			if v.N != 2 {
				t.Fatalf("after a stop the child reads %d, want 2", v.N)
			}
			return
		}
		if !errors.Is(err, messages.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("ask after the child stopped: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
