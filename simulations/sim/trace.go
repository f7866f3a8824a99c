package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"
)

// Record is one canonical observation of a run. It holds only what the seed determines:
// entity names, sequence numbers, virtual time, event types, reply kinds and payload digests —
// never random ids or wall time.
type Record struct {
	At     time.Duration // virtual time since the run's start
	Entity string
	Seq    uint64
	Type   string // event type, message type or harness action ("crash", "fault:commit")
	Kind   string // reply kind (Kind), "" for none
	Digest string // Digest of the payload
}

func (r Record) String() string {
	return fmt.Sprintf("%12s %-24s #%-4d %-28s %-32s %s", r.At, r.Entity, r.Seq, r.Type, r.Kind, r.Digest)
}

// Trace hashes a run's records with SHA-256; with Keep it also holds them for Dump.
type Trace struct {
	start time.Time
	h     hash.Hash
	n     int
	keep  bool
	lines []string
}

// NewTrace starts a trace whose record times count from start.
func NewTrace(start time.Time, keep bool) *Trace {
	return &Trace{start: start, h: sha256.New(), keep: keep}
}

// Add hashes one record.
func (t *Trace) Add(r Record) {
	line := r.String()
	t.h.Write([]byte(line))
	t.h.Write([]byte{'\n'})
	t.n++
	if t.keep {
		t.lines = append(t.lines, line)
	}
}

// At records at virtual time now.
func (t *Trace) At(now time.Time, entity string, seq uint64, typ string, kind string, payload any) {
	t.Add(Record{At: now.Sub(t.start), Entity: entity, Seq: seq, Type: typ, Kind: kind, Digest: Digest(payload)})
}

// Sum is the hex SHA-256 of every record so far.
func (t *Trace) Sum() string { return hex.EncodeToString(t.h.Sum(nil)) }

// Len counts the records.
func (t *Trace) Len() int { return t.n }

// Lines are the kept records (none without Keep).
func (t *Trace) Lines() []string { return t.lines }

// Dump writes the kept records, one a line.
func (t *Trace) Dump(w io.Writer) {
	for i, l := range t.lines {
		fmt.Fprintf(w, "%6d %s\n", i+1, l)
	}
}

// Digest is a short, stable digest of a payload: its JSON encoding (map keys sorted, slices
// in order, so a map order that leaks into a slice changes it), an error's text, or raw bytes.
func Digest(v any) string {
	var b []byte
	switch x := v.(type) {
	case nil:
		return "-"
	case error:
		b = []byte("error: " + x.Error())
	case []byte:
		b = x
	case string:
		b = []byte(x)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			b = fmt.Appendf(nil, "%T %v", v, v)
		}
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// Kind names a reply by its type ("" for none); an error is "error".
func Kind(reply any) string {
	switch reply.(type) {
	case nil:
		return ""
	case error:
		return "error"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", reply), "*")
}

// Write hashes each line of p as a raw record (an io.Writer for a component's own stable
// trace, such as p2p/memnet's).
func (t *Trace) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		t.h.Write([]byte(line))
		t.h.Write([]byte{'\n'})
		t.n++
		if t.keep {
			t.lines = append(t.lines, line)
		}
	}
	return len(p), nil
}
