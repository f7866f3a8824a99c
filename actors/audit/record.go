package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/meshhold/meshhold/messages/eventv1"
)

// Record is one audit record: the members of its JSON line, in their order.
type Record struct {
	Seq    uint64          `json:"seq"`
	TsMs   int64           `json:"ts_ms"`
	Type   string          `json:"type"`
	Entity string          `json:"entity"`
	LogSeq uint64          `json:"log_seq"`
	Data   json.RawMessage `json:"data"`
	Prev   string          `json:"prev"`
	Hash   string          `json:"hash"`
}

// Hash is a SHA-256 digest of the chain.
type Hash [sha256.Size]byte

// String is the hash in lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// The stored bytes of a record are its body: the JSON line without the hash member, ending in
// `,"prev":"<64 hex>"}`. The line adds `,"hash":"<64 hex>"` before the closing brace.
const (
	hexLen     = 2 * sha256.Size
	prevMember = `,"prev":"`
	hashMember = `,"hash":"`
	prevTail   = len(prevMember) + hexLen + len(`"}`) // 75: the body's last bytes
	minBodyLen = len(`{"seq":1`) + prevTail
)

// encodeBody renders the stored body of ev's record at seq and ts, chained to prev, and its
// hash: SHA-256(prev ‖ body).
func encodeBody(seq uint64, ts int64, ev *eventv1.Event, prev Hash) ([]byte, Hash) {
	b := make([]byte, 0, 192+len(ev.GetData()))
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"ts_ms":`...)
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, `,"type":`...)
	b = appendString(b, ev.GetType())
	b = append(b, `,"entity":`...)
	b = appendString(b, ev.GetEntity())
	b = append(b, `,"log_seq":`...)
	b = strconv.AppendUint(b, ev.GetLogSeq(), 10)
	b = append(b, `,"data":`...)
	b = appendData(b, ev.GetData())
	b = append(b, prevMember...)
	b = hex.AppendEncode(b, prev[:])
	b = append(b, `"}`...)
	return b, chainHash(prev, b)
}

// chainHash is SHA-256 of prev's 32 bytes followed by body.
func chainHash(prev Hash, body []byte) Hash {
	d := sha256.New()
	d.Write(prev[:])
	d.Write(body)
	var h Hash
	d.Sum(h[:0])
	return h
}

// appendLine appends the JSON line of a stored body: the body with its hash as last member.
func appendLine(dst, body []byte, h Hash) []byte {
	dst = append(dst, body[:len(body)-1]...)
	dst = append(dst, hashMember...)
	dst = hex.AppendEncode(dst, h[:])
	return append(dst, `"}`...)
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// appendData appends the event's data compacted to one line; data that is not a JSON object
// (no core emits such) is kept as {"raw": "<text>"}.
func appendData(b []byte, data []byte) []byte {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return append(b, `{}`...)
	}
	var buf bytes.Buffer
	if trimmed[0] == '{' && json.Compact(&buf, trimmed) == nil {
		return append(b, buf.Bytes()...)
	}
	b = append(b, `{"raw":`...)
	b = appendString(b, string(data))
	return append(b, '}')
}

// entry is one stored record as read back: its record, the prev it names, its hash.
type entry struct {
	seq  uint64 // from the key
	rec  Record
	hash Hash   // SHA-256(prev ‖ body): what its successor must name as prev
	prev Hash   // the prev it names
	bad  string // why the record does not check out by itself; "" when it does
}

// parseEntry reads the stored body of seq and checks it by itself: layout, JSON and seq. Its
// hash is computed from its bytes, so a changed byte shows as a broken link to its successor.
func parseEntry(seq uint64, body []byte) entry {
	e := entry{seq: seq, rec: Record{Seq: seq}}
	n := len(body)
	if n < minBodyLen || body[0] != '{' || string(body[n-prevTail:n-prevTail+len(prevMember)]) != prevMember ||
		string(body[n-2:]) != `"}` || !decodeHash(&e.prev, body[n-2-hexLen:n-2]) {
		e.bad = "is not an audit record"
		e.hash = chainHash(Hash{}, body)
		return e
	}
	e.hash = chainHash(e.prev, body)
	if err := json.Unmarshal(body, &e.rec); err != nil {
		e.rec = Record{Seq: seq}
		e.bad = "is not valid JSON"
	}
	e.rec.Prev, e.rec.Hash = e.prev.String(), e.hash.String()
	if e.bad == "" && e.rec.Seq != seq {
		e.bad = "says seq " + strconv.FormatUint(e.rec.Seq, 10) + " but is stored as " + strconv.FormatUint(seq, 10)
		e.rec.Seq = seq
	}
	return e
}

// decodeHash decodes 64 lowercase hex characters into h.
func decodeHash(h *Hash, src []byte) bool {
	if len(src) != hexLen {
		return false
	}
	for _, c := range src {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	_, err := hex.Decode(h[:], src)
	return err == nil
}

// appendExport appends the line a stored body exports as: the body with its hash, or, for
// bytes that are not a record body, {"seq":N,"unreadable":"<the bytes>"} so the export stays
// one JSON value per line and a verifier sees the break.
func appendExport(dst []byte, seq uint64, body []byte) []byte {
	var prev Hash
	n := len(body)
	if n >= minBodyLen && body[0] == '{' && string(body[n-prevTail:n-prevTail+len(prevMember)]) == prevMember &&
		string(body[n-2:]) == `"}` && decodeHash(&prev, body[n-2-hexLen:n-2]) && json.Valid(body) {
		return appendLine(dst, body, chainHash(prev, body))
	}
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"unreadable":`...)
	dst = appendString(dst, string(body))
	return append(dst, '}')
}
