package audit

import (
	"encoding/binary"

	"github.com/meshhold/meshhold/persist"
)

// Meta keys of the ring (bucket persist.Meta): the chain head, kept across pruning and
// restarts, and the oldest seq the ring still holds.
const (
	headKey = "audit_head" // seq (8 bytes) ‖ ts_ms (8) ‖ hash (32), big-endian
	tailKey = "audit_tail" // seq (8 bytes) of the oldest record kept
)

// Key is the audit bucket key of seq: 8 bytes big-endian, so the ring scans in order.
func Key(seq uint64) string { return string(binary.BigEndian.AppendUint64(nil, seq)) }

// seqOf decodes a record key; ok is false for a key that is not 8 bytes.
func seqOf(key string) (uint64, bool) {
	if len(key) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64([]byte(key)), true
}

// head is the chain's newest record as the ring last committed it.
type head struct {
	seq  uint64
	ts   int64
	hash Hash
}

func (h head) encode() []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 48), h.seq)
	b = binary.BigEndian.AppendUint64(b, uint64(h.ts))
	return append(b, h.hash[:]...)
}

// loadHead reads the stored head; ok is false when there is none (or it is malformed).
func loadHead(v persist.View) (h head, ok bool) {
	b, found := v.Get(persist.Meta, headKey)
	if !found || len(b) != 48 {
		return head{}, false
	}
	h.seq = binary.BigEndian.Uint64(b)
	h.ts = int64(binary.BigEndian.Uint64(b[8:]))
	copy(h.hash[:], b[16:])
	return h, true
}

// loadTail reads the oldest seq the ring says it keeps; 0 when there is none.
func loadTail(v persist.View) uint64 {
	if b, ok := v.Get(persist.Meta, tailKey); ok && len(b) == 8 {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// firstStored is the lowest record seq in the bucket; 0 when it is empty.
func firstStored(v persist.View) (seq uint64) {
	v.Scan(persist.Audit, "", "", func(k string, _ []byte) bool {
		seq, _ = seqOf(k)
		return false
	})
	return seq
}

// lastStored is the highest record in the bucket and its line (nil when empty); it walks
// the keys, so only Open uses it, and only when the head is missing.
func lastStored(v persist.View) (seq uint64, line []byte) {
	v.Scan(persist.Audit, "", "", func(k string, val []byte) bool {
		if s, ok := seqOf(k); ok {
			seq, line = s, append(line[:0], val...)
		}
		return true
	})
	return seq, line
}
