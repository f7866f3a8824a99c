package webhook_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/http/webhook"
	"github.com/meshhold/meshhold/persist/memstore"
)

// Matching events arrive once each, in log_seq order, as their signed envelope; other types
// (and the webhooks' own incidents) are skipped, and the stored cursor ends past all of them.
func TestDeliversMatchingEventsInOrderSigned(t *testing.T) {
	store := memstore.New()
	appendEvents(t, store, "vault_created") // history before the webhook existed: not sent
	rcv := newReceiver(t)
	_, stop := run(t, fastConfig(rcv.URL, "vault_created", "vault_deleted"), store, nil)
	last := appendEvents(t, store, "vault_created", "login_failed", "vault_deleted", "webhook_dropped", "vault_created")
	got := rcv.waitFor(t, 3)
	waitCursor(t, store, "ci", last)
	stop()
	if s := seqs(rcv.deliveries()); !slices.Equal(s, []uint64{2, 4, 6}) {
		t.Fatalf("delivered log_seqs %v, want [2 4 6]", s)
	}
	for i, d := range got {
		if !webhook.Verify([]byte(secret), d.body, d.signature) {
			t.Errorf("delivery %d: signature %q does not verify", d.seq, d.signature)
		}
		var env map[string]any
		if err := json.Unmarshal(d.body, &env); err != nil {
			t.Fatalf("delivery %d: body is not JSON: %s", d.seq, d.body)
		}
		want := []string{"vault_created", "vault_deleted", "vault_created"}[i]
		if env["type"] != want || d.event != want || env["log_seq"] != float64(d.seq) || env["n"] != float64(d.seq) || d.webhook != "ci" {
			t.Errorf("delivery %d: header event %q webhook %q, envelope %v; want type %s", d.seq, d.event, d.webhook, env, want)
		}
	}
}

// An empty events list and "*" both take every type.
func TestEveryTypeWhenNoneOrStarListed(t *testing.T) {
	for _, events := range [][]string{nil, {"*"}} {
		store := memstore.New()
		rcv := newReceiver(t)
		run(t, fastConfig(rcv.URL, events...), store, nil)
		appendEvents(t, store, "a_b", "vault_created", "login_failed")
		if s := seqs(rcv.waitFor(t, 3)); !slices.Equal(s, []uint64{1, 2, 3}) {
			t.Errorf("events %v: delivered %v", events, s)
		}
	}
}

// Failures are retried with growing waits and the cursor does not move until the receiver
// accepts; the streak is reported once when it starts and once when it ends.
func TestRetriesWithBackoffWithoutMovingTheCursor(t *testing.T) {
	store := memstore.New()
	rcv := newReceiver(t, 500, 503, 408, 429)
	var in incidents
	cfg := fastConfig(rcv.URL)
	cfg.MinBackoff, cfg.MaxBackoff = 30*time.Millisecond, 100*time.Millisecond
	s, stop := run(t, cfg, store, &in)
	began := time.Now()
	appendEvents(t, store, "vault_created", "vault_deleted")
	rcv.waitFor(t, 3)
	if c := cursorOf(t, store, "ci"); c != 0 {
		t.Fatalf("cursor moved to %d while the first event was failing", c)
	}
	rcv.waitFor(t, 6)
	waitCursor(t, store, "ci", 2)
	stop()
	// Waits of 30, 60, 100 (capped) and 100 ms come before the fifth attempt.
	if took := time.Since(began); took < 290*time.Millisecond {
		t.Errorf("5 attempts took %s: the backoff did not wait", took)
	}
	if s := seqs(rcv.deliveries()); !slices.Equal(s, []uint64{1, 1, 1, 1, 1, 2}) {
		t.Errorf("attempts %v, want event 1 five times, then event 2", s)
	}
	got := in.all()
	if len(got) != 2 || got[0].Type != webhook.TypeFailing || got[0].Status != 500 || got[0].Delivery != 1 ||
		got[1].Type != webhook.TypeRecovered || got[1].Attempts != 5 || got[0].Webhook != "ci" {
		t.Errorf("incidents %+v, want failing (500) then recovered after 5 attempts", got)
	}
	if st := s.Stats(); st.Delivered != 2 || st.Retries != 4 || st.Cursor != 2 {
		t.Errorf("stats %+v", st)
	}
}

// A 4xx other than 408 and 429 drops the event for good (reported) and delivery moves on.
func TestRefusedEventIsDroppedAndReported(t *testing.T) {
	store := memstore.New()
	rcv := newReceiver(t, 200, 410)
	var in incidents
	s, stop := run(t, fastConfig(rcv.URL), store, &in)
	appendEvents(t, store, "a", "b", "c")
	rcv.waitFor(t, 3)
	waitCursor(t, store, "ci", 3)
	stop()
	if s := seqs(rcv.deliveries()); !slices.Equal(s, []uint64{1, 2, 3}) {
		t.Errorf("attempts %v, want each event once", s)
	}
	got := in.all()
	if len(got) != 1 || got[0].Type != webhook.TypeDropped || got[0].Delivery != 2 || got[0].Status != 410 || got[0].EventType != "b" {
		t.Errorf("incidents %+v, want one drop of event 2", got)
	}
	if st := s.Stats(); st.Delivered != 2 || st.Dropped != 1 {
		t.Errorf("stats %+v", st)
	}
}

// Retry-After is honoured (up to MaxBackoff) and redirects are not followed: a 3xx is a failure.
func TestRetryAfterAndNoRedirects(t *testing.T) {
	store := memstore.New()
	other := newReceiver(t)
	rcv := newReceiver(t, 429, http.StatusTemporaryRedirect)
	rcv.header.Set("Retry-After", "1")
	rcv.header.Set("Location", other.URL)
	cfg := fastConfig(rcv.URL)
	cfg.MaxBackoff = 400 * time.Millisecond
	run(t, cfg, store, nil)
	began := time.Now()
	appendEvents(t, store, "a")
	rcv.waitFor(t, 2)
	if took := time.Since(began); took < 400*time.Millisecond {
		t.Errorf("retried after %s; Retry-After: 1 capped at 400 ms should wait that long", took)
	}
	rcv.waitFor(t, 3)
	waitCursor(t, store, "ci", 1)
	if n := len(other.deliveries()); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}

// A crash in the middle of retries loses nothing: the restarted sender starts from the stored
// cursor, and every event reaches the receiver exactly once accepted, in order.
func TestCrashDuringRetriesResumesFromTheCursor(t *testing.T) {
	store := memstore.New()
	rcv := newReceiver(t, 200, 500, 500, 500, 500, 500, 500, 500, 500)
	_, stop := run(t, fastConfig(rcv.URL), store, nil)
	appendEvents(t, store, "a", "b", "c")
	rcv.waitFor(t, 3) // event 1 accepted, event 2 failing
	waitCursor(t, store, "ci", 1)
	crashed := store.Crash()
	stop()
	rcv.mu.Lock()
	rcv.script = nil // the receiver is back
	rcv.mu.Unlock()
	before := len(rcv.deliveries())
	run(t, fastConfig(rcv.URL), crashed, nil)
	appendEvents(t, crashed, "d")
	after := rcv.waitFor(t, before+3)[before:]
	waitCursor(t, crashed, "ci", 4)
	if s := seqs(after); !slices.Equal(s, []uint64{2, 3, 4}) {
		t.Errorf("after the restart: %v, want [2 3 4]", s)
	}
}

// A webhook seen for the first time starts at the newest event; its cursor is stored at once.
func TestFirstStartBeginsAtTheNewestEvent(t *testing.T) {
	store := memstore.New()
	appendEvents(t, store, "a", "b", "c")
	rcv := newReceiver(t)
	s, err := webhook.New(fastConfig(rcv.URL), webhook.Deps{Log: hostLog(store), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if c := cursorOf(t, store, "ci"); c != 3 || s.Stats().Cursor != 3 {
		t.Fatalf("first cursor %d, want 3", c)
	}
}

// Events pruned before the webhook got to them are a gap: logged, reported, counted, and
// delivery continues after it.
func TestPrunedPastTheCursorIsAGap(t *testing.T) {
	store := memstore.New()
	rcv := newReceiver(t, 500)
	var in incidents
	cfg := fastConfig(rcv.URL)
	cfg.MinBackoff, cfg.MaxBackoff = 300*time.Millisecond, 300*time.Millisecond
	_, stop := run(t, cfg, store, &in)
	appendEvents(t, store, "a")
	rcv.waitFor(t, 1) // event 1 failed; the sender waits 300 ms
	stop()
	appendEvents(t, store, "b", "c", "d", "e")
	prune(t, store, 1, 3)
	s, _ := run(t, fastConfig(rcv.URL), store, &in)
	rcv.waitFor(t, 3)
	waitCursor(t, store, "ci", 5)
	if got := seqs(rcv.deliveries()); !slices.Equal(got, []uint64{1, 4, 5}) {
		t.Errorf("deliveries %v, want [1 4 5]", got)
	}
	var gap *webhook.Incident
	for _, i := range in.all() {
		if i.Type == webhook.TypeGap {
			gap = &i
		}
	}
	if gap == nil || gap.From != 1 || gap.To != 3 || gap.Missed != 3 {
		t.Errorf("incidents %+v, want a gap of log_seqs 1-3", in.all())
	}
	if st := s.Stats(); st.Gaps != 1 || st.Missed != 3 {
		t.Errorf("stats %+v", st)
	}
}

// Errors and incidents never carry the URL's path or query, where services put their secrets.
func TestURLSecretsStayOutOfIncidents(t *testing.T) {
	store := memstore.New()
	var in incidents
	cfg := fastConfig("http://127.0.0.1:1/services/T000/B000/SECRETPATH?token=SECRETQUERY")
	run(t, cfg, store, &in)
	appendEvents(t, store, "a")
	deadline := time.Now().Add(10 * time.Second)
	for len(in.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := in.all()
	if len(got) == 0 || got[0].Type != webhook.TypeFailing || got[0].Error == "" {
		t.Fatalf("incidents %+v, want a failing one", got)
	}
	if b, _ := json.Marshal(got[0]); strings.Contains(string(b), "SECRET") || got[0].URL != "http://127.0.0.1:1" {
		t.Errorf("incident leaks the URL: %s", b)
	}
}

func TestBackoffDoublesToTheCap(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
		32 * time.Second, 64 * time.Second, 128 * time.Second, 256 * time.Second, 5 * time.Minute, 5 * time.Minute}
	for i, w := range want {
		if got := webhook.Backoff(i+1, webhook.DefaultMinBackoff, webhook.DefaultMaxBackoff); got != w {
			t.Errorf("attempt %d: %s, want %s", i+1, got, w)
		}
	}
	if got := webhook.Backoff(1000, time.Second, 5*time.Minute); got != 5*time.Minute {
		t.Errorf("attempt 1000: %s", got)
	}
}
