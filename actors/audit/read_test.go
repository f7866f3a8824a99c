package audit_test

import (
	"slices"
	"testing"

	"github.com/meshhold/meshhold/actors/audit"
)

func (r *rig) read(q audit.Query) audit.Page {
	r.t.Helper()
	p, err := audit.Read(r.store, q)
	if err != nil {
		r.t.Fatal(err)
	}
	if !p.Integrity.OK {
		r.t.Fatalf("integrity: %+v", p.Integrity)
	}
	return p
}

func seqs(p audit.Page) []uint64 {
	var out []uint64
	for _, rec := range p.Records {
		out = append(out, rec.Seq)
	}
	return out
}

// Pages come newest first; following NextCursor visits every record once.
func TestReadPages(t *testing.T) {
	r := newRig(t, 50)
	r.audited(60) // records 11–60 kept
	p := r.read(audit.Query{Limit: 20})
	if got := seqs(p); len(got) != 20 || got[0] != 60 || got[19] != 41 || p.NextCursor != 41 {
		t.Fatalf("first page %v next %d", got, p.NextCursor)
	}
	if p.Integrity.ToSeq != 60 || p.Integrity.FromSeq != 41 {
		t.Fatalf("integrity span %+v", p.Integrity)
	}
	var all []uint64
	for cursor := uint64(0); ; {
		p := r.read(audit.Query{Limit: 20, Cursor: cursor})
		all = append(all, seqs(p)...)
		if cursor = p.NextCursor; cursor == 0 {
			break
		}
	}
	if len(all) != 50 || all[0] != 60 || all[49] != 11 || !slices.IsSortedFunc(all, func(a, b uint64) int { return int(b) - int(a) }) {
		t.Fatalf("all pages: %v", all)
	}
	if p := r.read(audit.Query{}); len(p.Records) != 50 || p.NextCursor != 0 {
		t.Fatalf("default limit: %d records, next %d", len(p.Records), p.NextCursor)
	}
}

func TestReadFilters(t *testing.T) {
	r := newRig(t, 100)
	r.commit("login_failed", "token_created", "login_failed", "logged_out")
	r.commit("login_succeeded", "token_revoked")
	p := r.read(audit.Query{Types: []string{"login_failed", "logged_out"}})
	if got := seqs(p); !slices.Equal(got, []uint64{4, 3, 1}) {
		t.Fatalf("types: %v", got)
	}
	p = r.read(audit.Query{Types: []string{"login_failed"}, Limit: 1})
	if got := seqs(p); !slices.Equal(got, []uint64{3}) || p.NextCursor != 3 {
		t.Fatalf("types, limit 1: %v next %d", got, p.NextCursor)
	}
	p = r.read(audit.Query{Types: []string{"login_failed"}, Limit: 1, Cursor: 3})
	if got := seqs(p); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("types, second page: %v next %d", got, p.NextCursor)
	}
	since := p.Records[0].TsMs + 25 // records are 10 ms apart: seq 4 onwards
	p = r.read(audit.Query{SinceMs: since})
	if got := seqs(p); !slices.Equal(got, []uint64{6, 5, 4}) || p.NextCursor != 0 {
		t.Fatalf("since: %v next %d", got, p.NextCursor)
	}
	if p := r.read(audit.Query{Cursor: 1}); len(p.Records) != 0 || p.NextCursor != 0 {
		t.Fatalf("below the oldest: %+v", p)
	}
	empty := newRig(t, 100)
	if p := empty.read(audit.Query{}); len(p.Records) != 0 || !p.Integrity.OK {
		t.Fatalf("empty ring: %+v", p)
	}
}

// A page below the newest checks its newest record against the record above it.
func TestReadCursorPageChecksLinkAbove(t *testing.T) {
	r := newRig(t, 100)
	r.audited(10)
	r.raw(replaceIn(t, 6, `"ip":"127.0.0.1"`, `"ip":"10.9.9.9"`))
	p, err := audit.Read(r.store, audit.Query{Cursor: 7, Limit: 2}) // records 6 and 5
	if err != nil {
		t.Fatal(err)
	}
	if p.Integrity.OK || p.Integrity.BrokenAt != 6 {
		t.Fatalf("integrity %+v", p.Integrity)
	}
	p, _ = audit.Read(r.store, audit.Query{Cursor: 6, Limit: 2}) // records 5 and 4: intact
	if !p.Integrity.OK {
		t.Fatalf("records 4–5: %+v", p.Integrity)
	}
	p, _ = audit.Read(r.store, audit.Query{Cursor: 9, Limit: 2}) // records 8 and 7: 7 links to the altered 6
	if p.Integrity.OK || p.Integrity.BrokenAt != 6 {
		t.Fatalf("records 7–8: %+v", p.Integrity)
	}
}

// Lines reads in chunks, bounded by upto.
func TestLines(t *testing.T) {
	r := newRig(t, 100)
	r.audited(10)
	var got []uint64
	n, last, err := audit.Lines(r.store, 3, 8, 4, func(seq uint64, _ []byte) { got = append(got, seq) })
	if err != nil || n != 4 || last != 7 || !slices.Equal(got, []uint64{4, 5, 6, 7}) {
		t.Fatalf("chunk: %d %d %v %v", n, last, got, err)
	}
	got = nil
	n, last, _ = audit.Lines(r.store, 7, 8, 4, func(seq uint64, _ []byte) { got = append(got, seq) })
	if n != 1 || last != 8 || !slices.Equal(got, []uint64{8}) {
		t.Fatalf("up to 8: %d %d %v", n, last, got)
	}
	h, err := audit.HeadOf(r.store)
	if err != nil || h.Seq != 10 || len(h.Hash) != 64 {
		t.Fatalf("head %+v %v", h, err)
	}
}
