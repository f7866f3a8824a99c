package stream_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/meshhold/meshhold/http/stream"
	"github.com/meshhold/meshhold/messages/eventv1"
)

// A client reads part of the stream, drops, and reconnects with its last id while events keep
// being committed: across both connections it sees every matching event once, in order. The
// replay is chunked small so it spans many reads and live events queue up meanwhile.
func TestResumeWhileCommitting(t *testing.T) {
	t.Cleanup(stream.SetReplayChunk(7))
	for _, tc := range []struct{ name, types, how string }{
		{"header", "", "header"},
		{"query", "", "query"},
		{"filtered", "?types=b_made", "header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, 0)
			srv := r.serve(stream.Config{})
			const total = 400
			first := open(t, nil, srv.url+tc.types, nil)
			var wg sync.WaitGroup
			writes := make(chan string, total)
			for i := range total {
				writes <- []string{"a_made", "b_made"}[i%2]
			}
			close(writes)
			for w := range 4 {
				wg.Go(func() {
					for typ := range writes {
						r.emit(fmt.Sprint(w), typ)
					}
				})
			}
			var got []string
			for len(got) < 30 {
				got = append(got, first.event(wait).id)
			}
			first.resp.Body.Close()
			last, _ := strconv.ParseUint(got[len(got)-1], 10, 64)
			eventually(t, wait, "a backlog to replay", func() bool { return r.newest() >= last+60 })

			url, hdr := srv.url+tc.types, http.Header{}
			if tc.how == "header" {
				hdr.Set("Last-Event-ID", fmt.Sprint(last))
			} else {
				url += "?last_event_id=" + fmt.Sprint(last)
			}
			second := open(t, nil, url, hdr)
			wg.Wait()
			want := r.expected(0, tc.types != "")
			for len(got) < len(want) {
				f := second.event(wait)
				if f.event == "stream_gap" {
					t.Fatalf("unexpected gap: %s", f.data)
				}
				got = append(got, f.id)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("ids seen across the reconnect differ from the log:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// expected lists the ids of the committed events after `after`, only b_made ones if onlyB.
func (r *rig) expected(after uint64, onlyB bool) []string {
	var ids []string
	if _, _, err := r.log.Read(after, 0, func(ev *eventv1.Event) bool {
		if !onlyB || ev.GetType() == "b_made" {
			ids = append(ids, fmt.Sprint(ev.GetLogSeq()))
		}
		return true
	}); err != nil {
		r.t.Fatal(err)
	}
	return ids
}

// An id older than the retained log gets a stream_gap (no id line) before the retained events;
// an id inside it resumes right after it.
func TestResumeAfterPruning(t *testing.T) {
	r := newRig(t, 10)
	srv := r.serve(stream.Config{})
	r.emitN(30, "a_made")
	s := open(t, nil, srv.url, http.Header{"Last-Event-ID": {"5"}})
	f := s.event(wait)
	var gap struct {
		Type            string
		LastEventID     uint64 `json:"last_event_id"`
		OldestAvailable uint64 `json:"oldest_available"`
		Message         string
	}
	if err := json.Unmarshal([]byte(f.data), &gap); err != nil || f.event != "stream_gap" || f.hasID ||
		gap.Type != "stream_gap" || gap.LastEventID != 5 || gap.OldestAvailable != 21 || gap.Message == "" {
		t.Fatalf("first frame %+v (%v), want a stream_gap after 5 with oldest 21", f, err)
	}
	t.Logf("gap message: %s", gap.Message)
	for want := 21; want <= 30; want++ {
		if f := s.event(wait); f.id != fmt.Sprint(want) {
			t.Fatalf("replayed %+v, want id %d", f, want)
		}
	}
	r.emit("e", "a_made")
	if f := s.event(wait); f.id != "31" {
		t.Fatalf("live %+v, want id 31", f)
	}

	inside := open(t, nil, srv.url, http.Header{"Last-Event-ID": {"25"}})
	if f := inside.event(wait); f.id != "26" {
		t.Fatalf("resume after 25 began with %+v, want id 26 and no gap", f)
	}
}

// hookLog runs before ahead of every read of the event log: a commit racing the replay.
type hookLog struct {
	stream.EventLogReader
	before func()
}

func (l hookLog) Read(after uint64, limit int, fn func(*eventv1.Event) bool) (uint64, uint64, error) {
	l.before()
	return l.EventLogReader.Read(after, limit, fn)
}

// Events committed between the replay's reads (two before every read, deterministically) are
// neither lost nor repeated: each read finds a full chunk until the fifth, the queued live
// copies are dropped or skipped, and streaming goes on live after event 20.
func TestResumeCommitsBetweenChunks(t *testing.T) {
	t.Cleanup(stream.SetReplayChunk(4))
	r := newRig(t, 0)
	r.emitN(10, "a_made")
	var reads atomic.Int32
	srv := r.serveLog(stream.Config{}, hookLog{r.log, func() {
		if reads.Add(1) <= 5 {
			r.emitN(2, "a_made")
		}
	}})
	s := open(t, nil, srv.url, http.Header{"Last-Event-ID": {"2"}})
	for want := 3; want <= 20; want++ {
		if f := s.event(wait); f.id != fmt.Sprint(want) {
			t.Fatalf("got %+v, want id %d", f, want)
		}
	}
	if n := reads.Load(); n != 5 {
		t.Fatalf("%d reads of the log, want 5", n)
	}
	r.emit("e", "a_made")
	if f := s.event(wait); f.id != "21" {
		t.Fatalf("then %+v, want id 21", f)
	}
}

// An id above the newest log_seq (the store was reset) gets no replay and no gap message, and
// every event committed once it is connected, even one committed before the log is first read.
func TestResumeAheadOfLog(t *testing.T) {
	r := newRig(t, 0)
	r.emitN(3, "a_made")
	once := false
	srv := r.serveLog(stream.Config{}, hookLog{r.log, func() {
		if !once {
			once = true
			r.emit("e", "a_made")
		}
	}})
	s := open(t, nil, srv.url+"?last_event_id=1000", nil)
	if f := s.next(wait); f.comment != "connected" {
		t.Fatalf("first frame %+v", f)
	}
	if f := s.event(wait); f.id != "4" || f.event != "a_made" {
		t.Fatalf("got %+v, want event 4, committed while the stream began", f)
	}
	r.emit("e", "a_made")
	if f := s.event(wait); f.id != "5" {
		t.Fatalf("then %+v, want the live event 5", f)
	}
}

// Last-Event-ID: 0 replays the whole retained log.
func TestResumeFromZero(t *testing.T) {
	r := newRig(t, 0)
	srv := r.serve(stream.Config{})
	r.emitN(3, "a_made")
	s := open(t, nil, srv.url, http.Header{"Last-Event-ID": {"0"}})
	for want := 1; want <= 3; want++ {
		if f := s.event(wait); f.id != fmt.Sprint(want) {
			t.Fatalf("got %+v, want id %d", f, want)
		}
	}
}
