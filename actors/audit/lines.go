package audit

import (
	"fmt"

	"github.com/meshhold/meshhold/persist"
)

// Head is the chain head: the newest record the ring committed.
type Head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// HeadOf reads the chain head of store; the zero Head when the ring never wrote.
func HeadOf(store persist.Store) (Head, error) {
	var out Head
	err := persist.ReadWith(store, func(v persist.View) error {
		if h, ok := loadHead(v); ok {
			out = Head{Seq: h.seq, Hash: h.hash.String()}
		}
		return nil
	})
	if err != nil {
		return Head{}, fmt.Errorf("audit: head: %w", err)
	}
	return out, nil
}

// Lines calls fn with the JSON line (docs/audit.md, no newline) of each record with
// after < seq ≤ upto (upto 0: no bound), oldest first, at most limit of them (0: all), from
// one snapshot; line is valid only during the call. It returns how many it visited and the
// last seq. Exports call it chunk by chunk, with a fresh snapshot each time, so a slow reader
// never holds a transaction open.
func Lines(store persist.Store, after, upto uint64, limit int, fn func(seq uint64, line []byte)) (n int, last uint64, err error) {
	var buf []byte
	start := ""
	if after > 0 {
		start = Key(after)
	}
	err = persist.ReadWith(store, func(v persist.View) error {
		v.Scan(persist.Audit, "", start, func(k string, body []byte) bool {
			seq, ok := seqOf(k)
			if !ok || (upto > 0 && seq > upto) {
				return false
			}
			buf = appendExport(buf[:0], seq, body)
			fn(seq, buf)
			n, last = n+1, seq
			return limit <= 0 || n < limit
		})
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("audit: read lines: %w", err)
	}
	return n, last, nil
}
