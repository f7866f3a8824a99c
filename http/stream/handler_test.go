package stream_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/http/stream"
)

const wait = 5 * time.Second

// ": connected" arrives at once, with the SSE headers, while no event flows; ?token= works.
func TestConnectedArrivesAtOnce(t *testing.T) {
	r := newRig(t, 0)
	srv := r.serve(stream.Config{})
	req, _ := http.NewRequest(http.MethodGet, srv.url+"?token="+token, nil)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	buf := make([]byte, len(": connected\n\n"))
	if _, err := ioReadFull(resp, buf, wait); err != nil || string(buf) != ": connected\n\n" {
		t.Fatalf("first bytes %q (%v)", buf, err)
	}
	t.Logf(": connected after %v", time.Since(start))
}

// Live events carry id = log_seq, event = type and the envelope on one data line.
func TestLiveEvents(t *testing.T) {
	r := newRig(t, 0)
	s := open(t, nil, r.serve(stream.Config{}).url, nil)
	if f := s.next(wait); f.comment != "connected" {
		t.Fatalf("first frame %+v", f)
	}
	r.emit("a", "thing_made")
	r.emit("b", "other_thing")
	r.emit("a", "thing_made")
	for i, want := range []string{"thing_made", "other_thing", "thing_made"} {
		f := s.event(wait)
		var env struct {
			Type, Entity string
			LogSeq       uint64 `json:"log_seq"`
			Seq          uint64
			Echo         string `json:"entity_echo"`
		}
		if err := json.Unmarshal([]byte(f.data), &env); err != nil {
			t.Fatalf("data %q: %v", f.data, err)
		}
		if f.event != want || env.Type != want || f.id != fmt.Sprint(i+1) || env.LogSeq != uint64(i+1) || env.Echo != "x" {
			t.Fatalf("event %d: %+v (envelope %+v), want %s with id %d", i, f, env, want, i+1)
		}
	}
}

// ?types= delivers only the listed types, in order.
func TestTypeFilter(t *testing.T) {
	r := newRig(t, 0)
	s := open(t, nil, r.serve(stream.Config{}).url+"?types=b_made,c_made", nil)
	for _, typ := range []string{"a_made", "b_made", "a_made", "c_made", "b_made", "a_made"} {
		r.emit("e", typ)
	}
	var got []string
	for len(got) < 3 {
		f := s.event(wait)
		got = append(got, f.id+":"+f.event)
	}
	if want := "2:b_made 4:c_made 5:b_made"; strings.Join(got, " ") != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	r.emit("e", "c_made") // an a_made left over from before would arrive ahead of it
	if f := s.event(wait); f.id != "7" || f.event != "c_made" {
		t.Fatalf("then %+v, want 7:c_made", f)
	}
}

// Bad parameters answer 400 with a JSON error naming the parameter, before any SSE byte.
func TestBadParameters(t *testing.T) {
	r := newRig(t, 0)
	srv := r.serve(stream.Config{})
	for _, tc := range []struct {
		query, header, field string
	}{
		{"?types=Vault_Created", "", "types"},
		{"?types=a,,b", "", "types"},
		{"?types=a%20b", "", "types"},
		{"?types=" + strings.Repeat("a,", 64) + "a", "", "types"},
		{"", "12x", "Last-Event-ID"},
		{"", "-1", "Last-Event-ID"},
		{"?last_event_id=abc", "", "last_event_id"},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.url+tc.query, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if tc.header != "" {
			req.Header.Set("Last-Event-ID", tc.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error string }
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/json" ||
			err != nil || !strings.HasPrefix(body.Error, tc.field+": ") {
			t.Errorf("%s %s: %d %q %v", tc.query, tc.header, resp.StatusCode, body.Error, err)
		}
	}
	if n := r.bc.Clients(); n != 0 {
		t.Fatalf("%d clients registered by refused requests", n)
	}
}

// An idle stream gets ": keepalive" every Keepalive.
func TestKeepalive(t *testing.T) {
	r := newRig(t, 0)
	s := open(t, nil, r.serve(stream.Config{Keepalive: 30 * time.Millisecond}).url, nil)
	for _, want := range []string{"connected", "keepalive", "keepalive"} {
		if f := s.next(wait); f.comment != want {
			t.Fatalf("frame %+v, want : %s", f, want)
		}
	}
}

// HEAD answers the SSE headers and ends at once.
func TestHead(t *testing.T) {
	r := newRig(t, 0)
	req, _ := http.NewRequest(http.MethodHead, r.serve(stream.Config{}).url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("HEAD: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	eventually(t, wait, "the HEAD request to leave the broadcaster", func() bool { return r.bc.Clients() == 0 })
}

// The route row matches the documented route table, and its access rule is enforced.
func TestRouteIsDocumented(t *testing.T) {
	bc, err := stream.NewBroadcaster(membus.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	apitest.CheckRoutes(t, []api.Route{stream.Route(stream.Config{}, bc, noLog{})},
		"../../docs/endpoints.tsv", "../../docs/api-extensions.tsv")
}
