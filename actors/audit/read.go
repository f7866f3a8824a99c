package audit

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/meshhold/meshhold/persist"
)

// Page limits of Read.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	// scanBudget bounds the records one Read visits, so a filter that matches little still
	// answers quickly; the page then comes back short with a NextCursor to continue from.
	scanBudget = 20_000
	// readChunk is how many keys one backward step reads.
	readChunk = 256
)

// Query selects a page of records, newest first.
type Query struct {
	SinceMs int64    // only records with ts_ms ≥ SinceMs (0: all)
	Types   []string // only these types (empty: all)
	Cursor  uint64   // continue below this seq (a previous page's NextCursor; 0: from the newest)
	Limit   int      // at most this many records (0: DefaultLimit; capped at MaxLimit)
}

// Page is one answer of Read.
type Page struct {
	Records []Record
	// NextCursor is the Cursor of the next (older) page; 0 when there is none.
	NextCursor uint64
	Integrity  Integrity
}

// Integrity is the chain check of the span a Read visited: every record from FromSeq to ToSeq
// by itself, its link to its predecessor and, when ToSeq is the newest, to the chain head.
type Integrity struct {
	OK       bool   `json:"ok"`
	BrokenAt uint64 `json:"broken_at,omitempty"`
	Reason   string `json:"reason,omitempty"`
	FromSeq  uint64 `json:"from_seq"`
	ToSeq    uint64 `json:"to_seq"`
}

// Read returns the newest records that match q, from one snapshot, and checks the chain over
// every record it visited (filtered out or not).
func Read(store persist.Store, q Query) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = DefaultLimit
	}
	q.Limit = min(q.Limit, MaxLimit)
	var p Page
	err := persist.ReadWith(store, func(v persist.View) error {
		p = readPage(v, q)
		return nil
	})
	if err != nil {
		return Page{}, fmt.Errorf("audit: read: %w", err)
	}
	return p, nil
}

// reader walks the ring newest → oldest, checking links as it goes.
type reader struct {
	v      persist.View
	q      Query
	b      breaks
	page   Page
	newer  *entry // the record visited just before (one seq higher), if it was present
	oldest uint64 // lowest seq the ring keeps
}

func readPage(v persist.View, q Query) Page {
	r := &reader{v: v, q: q, page: Page{Records: []Record{}}}
	h, hasHead := loadHead(v)
	r.oldest = loadTail(v)
	if r.oldest == 0 {
		if hasHead {
			r.b.add(1, "the ring's oldest-seq marker (meta %s) is missing", tailKey)
		}
		r.oldest = firstStored(v)
	}
	top := h.seq
	if !hasHead {
		top, _ = lastStored(v)
		if top > 0 {
			r.b.add(top, "the chain head (meta %s) is missing", headKey)
		}
	}
	if q.Cursor > 0 {
		top = min(top, q.Cursor-1)
	}
	if top == 0 || top < r.oldest {
		return r.finish(0)
	}
	first := true
	lowest := r.walk(top, func(e *entry) bool {
		if first {
			r.checkAbove(e, h, hasHead)
			first = false
		}
		return r.take(e)
	})
	return r.finish(lowest)
}

// walk visits seqs from top down to the ring's oldest, reading readChunk keys at a time
// (missing seqs come as nil), until visit returns false or the scan budget is spent. It
// returns the lowest seq visited; the span checked is lowest..top.
func (r *reader) walk(top uint64, visit func(*entry) bool) (lowest uint64) {
	r.page.Integrity.ToSeq = top
	budget := scanBudget
	for hi := top; hi >= r.oldest && hi > 0; {
		lo := max(r.oldest, hi-min(hi-1, readChunk-1))
		lines := make([][]byte, hi-lo+1)
		r.v.Scan(persist.Audit, "", Key(lo-1), func(k string, val []byte) bool {
			seq, ok := seqOf(k)
			if !ok || seq > hi {
				return false
			}
			lines[seq-lo] = bytes.Clone(val)
			return true
		})
		for seq := hi; seq >= lo; seq-- {
			lowest = seq
			var e *entry
			if line := lines[seq-lo]; line != nil {
				pe := parseEntry(seq, line)
				e = &pe
			}
			r.link(seq, e)
			more := visit(e)
			r.newer = e
			if budget--; !more || budget == 0 {
				if more && seq > r.oldest { // out of budget: the next page continues below
					r.page.NextCursor = seq
				}
				return lowest
			}
		}
		hi = lo - 1
	}
	return lowest
}

// link checks seq's record (nil: missing) by itself and against the newer one visited.
func (r *reader) link(seq uint64, e *entry) {
	switch {
	case e == nil:
		r.b.add(seq, "%s", missing(seq, seq))
	case e.bad != "":
		r.b.add(seq, "record %d %s", seq, e.bad)
	}
	if e != nil && r.newer != nil && r.newer.seq == seq+1 && r.newer.prev != e.hash && sound(e, r.newer) {
		r.b.add(seq, "%s", brokenLink(seq))
	}
}

// checkAbove checks the newest record visited against what follows it: the chain head, or
// the record one seq higher when the walk starts below the newest.
func (r *reader) checkAbove(e *entry, h head, hasHead bool) {
	if e == nil {
		return
	}
	switch {
	case hasHead && e.seq == h.seq && e.hash != h.hash:
		r.b.add(e.seq, "record %d's hash is not the chain head's: it was altered or replaced", e.seq)
	case hasHead && e.seq < h.seq:
		if line, ok := r.v.Get(persist.Audit, Key(e.seq+1)); ok {
			if above := parseEntry(e.seq+1, line); above.prev != e.hash && sound(e, &above) {
				r.b.add(e.seq, "%s", brokenLink(e.seq))
			}
		}
	}
}

// take applies the query's filters to a visited record; false ends the walk.
func (r *reader) take(e *entry) bool {
	if e == nil {
		return true
	}
	if r.q.SinceMs > 0 && e.bad == "" && e.rec.TsMs < r.q.SinceMs {
		return false // ts_ms never decreases along the chain: nothing older matches
	}
	if len(r.q.Types) > 0 && !slices.Contains(r.q.Types, e.rec.Type) {
		return true
	}
	r.page.Records = append(r.page.Records, e.rec)
	if len(r.page.Records) == r.q.Limit {
		if e.seq > r.oldest {
			r.page.NextCursor = e.seq
		}
		return false
	}
	return true
}

// finish checks the oldest record visited against its predecessor and fills in Integrity.
func (r *reader) finish(lowest uint64) Page {
	if e := r.newer; e != nil && lowest == e.seq {
		switch {
		case e.seq == 1 && e.prev != (Hash{}):
			r.b.add(1, "record 1's prev is not the zero hash")
		case e.seq > r.oldest:
			if line, ok := r.v.Get(persist.Audit, Key(e.seq-1)); !ok {
				r.b.add(e.seq-1, "%s", missing(e.seq-1, e.seq-1))
			} else if below := parseEntry(e.seq-1, line); below.hash != e.prev && sound(&below, e) {
				r.b.add(e.seq-1, "%s", brokenLink(e.seq-1))
			}
		}
	}
	in := &r.page.Integrity
	in.FromSeq = lowest
	if lowest == 0 {
		in.ToSeq = 0
	}
	in.OK, in.BrokenAt, in.Reason = r.b.reason == "", r.b.at, r.b.reason
	return r.page
}
