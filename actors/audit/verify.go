package audit

import (
	"fmt"

	"github.com/meshhold/meshhold/persist"
)

// Report is the outcome of Verify: the ring's extent and the oldest break of the chain.
type Report struct {
	OK       bool   `json:"ok"`
	Records  uint64 `json:"records"`   // records stored
	FirstSeq uint64 `json:"first_seq"` // oldest record stored (0: none)
	LastSeq  uint64 `json:"last_seq"`  // newest record stored (0: none)
	HeadSeq  uint64 `json:"head_seq"`  // the chain head: the newest record the ring committed
	HeadHash string `json:"head_hash"` // its hash; note it elsewhere to anchor the chain
	BrokenAt uint64 `json:"broken_at,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// breaks keeps the oldest break found.
type breaks struct {
	at     uint64
	reason string
}

func (b *breaks) add(at uint64, format string, args ...any) {
	if b.reason == "" || at < b.at {
		b.at, b.reason = at, fmt.Sprintf(format, args...)
	}
}

// Verify walks the ring oldest → newest in one snapshot: every record must be a record stored
// under its own seq, name its predecessor's hash as prev and follow it without a gap; the ring
// must start at its recorded oldest seq and end at the chain head, whose hash is the newest's.
func Verify(store persist.Store) (Report, error) {
	var rep Report
	var b breaks
	err := persist.ReadWith(store, func(v persist.View) error {
		h, hasHead := loadHead(v)
		tail := loadTail(v)
		if hasHead {
			rep.HeadSeq, rep.HeadHash = h.seq, h.hash.String()
			if tail == 0 {
				b.add(1, "the ring's oldest-seq marker (meta %s) is missing", tailKey)
			}
		}
		var prev *entry
		expect := tail
		v.Scan(persist.Audit, "", "", func(k string, line []byte) bool {
			seq, ok := seqOf(k)
			if !ok {
				b.add(rep.LastSeq+1, "the audit bucket holds a key that is not a record (%q)", k)
				return true
			}
			e := parseEntry(seq, line)
			rep.Records++
			if rep.FirstSeq == 0 {
				rep.FirstSeq = seq
			}
			rep.LastSeq = seq
			switch {
			case expect == 0: // no tail recorded: the oldest record stands as the anchor
			case seq < expect:
				b.add(seq, "record %d is older than the oldest the ring keeps (%d)", seq, expect)
			case seq > expect:
				b.add(expect, "%s", missing(expect, seq-1))
			}
			expect = seq + 1
			if e.bad != "" {
				b.add(seq, "record %d %s", seq, e.bad)
			}
			switch {
			case prev != nil && prev.seq+1 == seq && e.prev != prev.hash && sound(prev, &e):
				b.add(prev.seq, "%s", brokenLink(prev.seq))
			case prev == nil && seq == 1 && e.prev != (Hash{}):
				b.add(seq, "record 1's prev is not the zero hash")
			}
			prev = &e
			return true
		})
		switch {
		case !hasHead && prev != nil:
			b.add(prev.seq, "the chain head (meta %s) is missing", headKey)
		case !hasHead:
		case prev == nil:
			b.add(max(tail, 1), "every record up to the chain head %d is missing", h.seq)
		case prev.seq < h.seq:
			b.add(prev.seq+1, "%s: the ring was truncated (the chain head is %d)", missing(prev.seq+1, h.seq), h.seq)
		case prev.seq > h.seq:
			b.add(h.seq+1, "records %d–%d are stored past the chain head %d", h.seq+1, prev.seq, h.seq)
		case prev.hash != h.hash:
			b.add(prev.seq, "record %d's hash is not the chain head's: it was altered or replaced", prev.seq)
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	rep.OK, rep.BrokenAt, rep.Reason = b.reason == "", b.at, b.reason
	return rep, nil
}

// sound reports whether both records check out by themselves, so a link between them that
// fails is the older one's fault (a record that does not check out is reported by itself).
func sound(older, newer *entry) bool { return older.bad == "" && newer.bad == "" }

// brokenLink says that record older's hash is not what record older+1 names as prev.
func brokenLink(older uint64) string {
	return fmt.Sprintf("record %d's prev is not record %d's hash: record %d was altered, or record %d replaced", older+1, older, older, older+1)
}

// missing says that the records from..to are missing.
func missing(from, to uint64) string {
	if from == to {
		return fmt.Sprintf("record %d is missing", from)
	}
	return fmt.Sprintf("records %d–%d are missing", from, to)
}
