package bus

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"

	"github.com/meshhold/meshhold/messages/eventv1"
)

// Envelope renders a committed event as the JSON object of the REST reference: the type's own
// fields plus type, entity, seq, log_seq, node_id and ts_ms. The envelope's fields win over a
// data field of the same name.
func Envelope(ev *eventv1.Event) []byte {
	var b bytes.Buffer
	b.Grow(len(ev.GetData()) + 160)
	b.WriteString(`{"type":`)
	writeString(&b, ev.GetType())
	b.WriteString(`,"entity":`)
	writeString(&b, ev.GetEntity())
	b.WriteString(`,"seq":`)
	b.WriteString(strconv.FormatUint(ev.GetSeq(), 10))
	b.WriteString(`,"log_seq":`)
	b.WriteString(strconv.FormatUint(ev.GetLogSeq(), 10))
	b.WriteString(`,"node_id":`)
	writeString(&b, ev.GetNodeId())
	b.WriteString(`,"ts_ms":`)
	b.WriteString(strconv.FormatInt(ev.GetTsMs(), 10))
	var fields map[string]json.RawMessage
	if len(ev.GetData()) > 0 && json.Unmarshal(ev.GetData(), &fields) == nil {
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			if reserved[k] {
				continue
			}
			b.WriteByte(',')
			writeString(&b, k)
			b.WriteByte(':')
			b.Write(fields[k])
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

var reserved = map[string]bool{"type": true, "entity": true, "seq": true, "log_seq": true, "node_id": true, "ts_ms": true}

func writeString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}
