package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// ringLines parses the ring's snapshot, failing on a line that is not a JSON object.
func ringLines(t *testing.T, r *logRing) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSuffix(r.Snapshot(), []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func msgs(lines []map[string]any) string {
	var s []string
	for _, l := range lines {
		s = append(s, l["msg"].(string))
	}
	return strings.Join(s, ",")
}

func TestLogRingKeepsTheNewestRecords(t *testing.T) {
	r := newLogRing(3, 1<<20)
	log := slog.New(r.handler(slog.DiscardHandler, slog.LevelInfo))
	for _, m := range []string{"a", "b", "c", "d", "e"} {
		log.Info(m)
	}
	if got := msgs(ringLines(t, r)); got != "c,d,e" || r.Dropped() != 2 {
		t.Fatalf("ring holds %s (dropped %d), want c,d,e (2)", got, r.Dropped())
	}
}

func TestLogRingIsBoundedInBytes(t *testing.T) {
	r := newLogRing(1000, 1000)
	log := slog.New(r.handler(slog.DiscardHandler, slog.LevelInfo))
	for range 100 {
		log.Info(strings.Repeat("x", 90))
	}
	if n := len(r.Snapshot()); n > 1000 || n < 500 {
		t.Fatalf("ring holds %d bytes, want at most 1000 and not far below", n)
	}
	// A record longer than logRingLine is clipped to its head, still one JSON line.
	lines := ringLines(t, newRingWith(t, strings.Repeat("y", 2*logRingLine)))
	if len(lines) != 1 || lines[0]["clipped_record_bytes"] == nil || !strings.Contains(lines[0]["head"].(string), `"msg":"big"`) {
		t.Fatalf("clipped record %v", lines)
	}
}

// newRingWith is a large ring holding one record with a long blob attribute.
func newRingWith(t *testing.T, blob string) *logRing {
	t.Helper()
	r := newLogRing(10, 1<<20)
	slog.New(r.handler(slog.DiscardHandler, slog.LevelInfo)).Info("big", "blob", blob)
	return r
}

// Records reach the real handler by its own level, and the ring by the ring's level; attributes
// and groups reach both.
func TestLogRingTeesToTheRealHandler(t *testing.T) {
	var real bytes.Buffer
	r := newLogRing(100, 1<<20)
	log := slog.New(r.handler(slog.NewJSONHandler(&real, &slog.HandlerOptions{Level: slog.LevelWarn}), slog.LevelInfo))
	sub := log.With("subsystem", "api").WithGroup("req")
	sub.Debug("debug: nowhere")
	sub.Info("info: ring only", "path", "/x", "took", 43*time.Millisecond)
	sub.Warn("warn: both")
	if got := msgs(ringLines(t, r)); got != "info: ring only,warn: both" {
		t.Fatalf("ring holds %s", got)
	}
	lines := ringLines(t, r)
	if req := lines[0]["req"].(map[string]any); lines[0]["subsystem"] != "api" || req["path"] != "/x" || req["took"] != "43ms" {
		t.Fatalf("attributes lost in the ring: %v", lines[0])
	}
	if s := real.String(); strings.Count(s, "\n") != 1 || !strings.Contains(s, `"msg":"warn: both"`) || !strings.Contains(s, `"subsystem":"api"`) {
		t.Fatalf("real handler got %q", s)
	}
	if !log.Enabled(context.Background(), slog.LevelInfo) || log.Enabled(context.Background(), slog.LevelDebug) {
		t.Fatal("Enabled must be the union of both levels")
	}

	// With the real handler at debug, the ring at info still skips debug.
	r2 := newLogRing(100, 1<<20)
	real.Reset()
	slog.New(r2.handler(slog.NewTextHandler(&real, &slog.HandlerOptions{Level: slog.LevelDebug}), slog.LevelInfo)).Debug("dbg")
	if len(r2.Snapshot()) != 0 || !strings.Contains(real.String(), "dbg") {
		t.Fatalf("ring %q real %q", r2.Snapshot(), real.String())
	}
}

// Secrets redact themselves; a text value under a credential's key is masked in the ring only.
func TestLogRingRedaction(t *testing.T) {
	var real bytes.Buffer
	r := newLogRing(100, 1<<20)
	log := slog.New(r.handler(slog.NewTextHandler(&real, nil), slog.LevelInfo))
	k, _ := swarmkey.Generate()
	log.Info("typed", "value", messages.Secret("typed-secret-1"), "swarm", k)
	log.Info("named", "password", "plain-secret-2", "bus_token", "plain-secret-3", "tokens", 3, "token_id", "tok_1", "password_set", true)
	snap := string(r.Snapshot())
	for _, leak := range []string{"typed-secret-1", "plain-secret-2", "plain-secret-3", k.Text()[30:]} {
		if strings.Contains(snap, leak) {
			t.Errorf("ring holds %s: %s", leak, snap)
		}
	}
	for _, kept := range []string{k.Fingerprint(), `"tokens":3`, `"token_id":"tok_1"`, `"password_set":true`} {
		if !strings.Contains(snap, kept) {
			t.Errorf("ring lost %s: %s", kept, snap)
		}
	}
	if !strings.Contains(real.String(), "plain-secret-2") || strings.Contains(real.String(), "typed-secret-1") {
		t.Errorf("the real handler is not the ring's business: %s", real.String())
	}
}

func TestLogRingConcurrent(t *testing.T) {
	r := newLogRing(50, 4096)
	log := slog.New(r.handler(slog.DiscardHandler, slog.LevelInfo))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			l := log.With("g", g)
			for i := range 200 {
				l.Info("m", "i", i)
				if i%50 == 0 {
					_ = r.Snapshot()
				}
			}
		})
	}
	wg.Wait()
	if lines := ringLines(t, r); len(lines) == 0 || len(lines) > 50 || len(r.Snapshot()) > 4096 {
		t.Fatalf("%d lines, %d bytes", len(lines), len(r.Snapshot()))
	}
}

func BenchmarkLogRing(b *testing.B) {
	r := newLogRing(logRingRecords, logRingBytes)
	log := slog.New(r.handler(slog.DiscardHandler, slog.LevelInfo))
	for b.Loop() {
		log.Info("request", "method", "GET", "path", "/api/v1/whoami", "status", 200)
	}
}

func TestWithLogRingFollowsDebug(t *testing.T) {
	for _, lvl := range []slog.Level{slog.LevelDebug, slog.LevelWarn} {
		r := newLogRing(10, 1<<20)
		log := withLogRing(slog.New(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: lvl})), r)
		log.Debug("d")
		log.Info("i")
		want := map[slog.Level]string{slog.LevelDebug: "d,i", slog.LevelWarn: "i"}[lvl]
		if got := msgs(ringLines(t, r)); got != want {
			t.Errorf("log level %v: ring holds %s, want %s", lvl, got, want)
		}
	}
}
