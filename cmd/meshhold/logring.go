package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"

	"github.com/meshhold/meshhold/messages"
)

// The log ring's bounds: the newest logRingRecords records within logRingBytes; a record longer
// than logRingLine is kept as its head only.
const (
	logRingRecords = 2000
	logRingBytes   = 1 << 20
	logRingLine    = 8 << 10
)

// logRing keeps the newest log records as JSON lines for diagnostics reports, bounded in records
// and bytes; older records fall out. It is safe for concurrent use.
type logRing struct {
	mu       sync.Mutex
	lines    [][]byte // circular: the oldest at start, n of them
	start, n int
	size     int // bytes held
	maxBytes int
	dropped  uint64 // records that fell out
}

// newLogRing keeps at most records records and maxBytes bytes.
func newLogRing(records, maxBytes int) *logRing {
	return &logRing{lines: make([][]byte, max(records, 1)), maxBytes: maxBytes}
}

// Write stores one formatted record (slog's handlers write each record in one call).
func (r *logRing) Write(p []byte) (int, error) {
	line := clipLine(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.n > 0 && (r.n == len(r.lines) || r.size+len(line) > r.maxBytes) {
		r.size -= len(r.lines[r.start])
		r.lines[r.start] = nil
		r.start = (r.start + 1) % len(r.lines)
		r.n--
		r.dropped++
	}
	r.lines[(r.start+r.n)%len(r.lines)] = line
	r.n++
	r.size += len(line)
	return len(p), nil
}

// clipLine copies p, replacing a record longer than logRingLine by a JSON line with its head.
func clipLine(p []byte) []byte {
	if len(p) <= logRingLine {
		return append([]byte(nil), p...)
	}
	head := strings.ToValidUTF8(string(p[:logRingLine/2]), "")
	b, _ := json.Marshal(struct {
		Clipped int    `json:"clipped_record_bytes"`
		Head    string `json:"head"`
	}{len(p), head})
	return append(b, '\n')
}

// Snapshot returns the records held, oldest first, one JSON object per line.
func (r *logRing) Snapshot() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]byte, 0, r.size)
	for i := range r.n {
		out = append(out, r.lines[(r.start+i)%len(r.lines)]...)
	}
	return out
}

// Dropped is how many records fell out of the ring.
func (r *logRing) Dropped() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

// handler returns a slog.Handler that passes every record on to next unchanged and also keeps
// those at level or above in the ring as JSON, whatever next's own level.
func (r *logRing) handler(next slog.Handler, level slog.Leveler) slog.Handler {
	return &ringHandler{next: next, level: level,
		ring: slog.NewJSONHandler(r, &slog.HandlerOptions{Level: level, ReplaceAttr: ringAttr})}
}

// ringHandler tees records to the real handler and the ring.
type ringHandler struct {
	next  slog.Handler
	ring  slog.Handler
	level slog.Leveler
}

func (h *ringHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() || h.next.Enabled(ctx, l)
}

func (h *ringHandler) Handle(ctx context.Context, rec slog.Record) error {
	var err error
	if h.next.Enabled(ctx, rec.Level) {
		err = h.next.Handle(ctx, rec)
	}
	if rec.Level >= h.level.Level() {
		_ = h.ring.Handle(ctx, rec) // the ring never fails
	}
	return err
}

func (h *ringHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &ringHandler{next: h.next.WithAttrs(attrs), ring: h.ring.WithAttrs(attrs), level: h.level}
}

func (h *ringHandler) WithGroup(name string) slog.Handler {
	return &ringHandler{next: h.next.WithGroup(name), ring: h.ring.WithGroup(name), level: h.level}
}

// ringAttr writes durations as Go duration strings ("43ms", not nanoseconds) for whoever reads
// a report, and masks secret-named keys (maskSecretKeys).
func ringAttr(groups []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return maskSecretKeys(groups, a)
}

// maskSecretKeys is a backstop for reports, which leave the machine: a text value under a key
// that names a credential is replaced by messages.Redacted. The rule stays the type —
// messages.Secret and swarmkey.Key redact themselves — this only catches a revealed value logged
// by mistake, and only in the ring, not in the daemon's own log.
func maskSecretKeys(_ []string, a slog.Attr) slog.Attr {
	k := a.Value.Kind()
	if (k != slog.KindString && k != slog.KindAny) || !secretKey(a.Key) {
		return a
	}
	if k == slog.KindString && (a.Value.String() == "" || strings.HasPrefix(a.Value.String(), messages.Redacted[:len(messages.Redacted)-1])) {
		return a // empty, or already redacted by its type (a swarm key keeps its fingerprint)
	}
	return slog.String(a.Key, messages.Redacted)
}

// secretKey reports whether an attribute key names a credential: password, passphrase, secret,
// a token, or a key of the kinds MeshHold holds (swarm, master, vault, private, API).
func secretKey(key string) bool {
	k := strings.ToLower(key)
	for _, s := range []string{"password", "passphrase", "secret", "authorization", "cookie"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	for _, s := range []string{"token", "swarm_key", "master_key", "vault_key", "private_key", "api_key", "psk"} {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// withLogRing returns log with its records also kept in ring: those at info and above, and
// debug too when log itself records debug.
func withLogRing(log *slog.Logger, ring *logRing) *slog.Logger {
	level := slog.LevelInfo
	if log.Enabled(context.Background(), slog.LevelDebug) {
		level = slog.LevelDebug
	}
	return slog.New(ring.handler(log.Handler(), level))
}
