package host

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
)

// EventLog reads the node's committed event log (what the committer wrote), for SSE resume and
// consumers that must not miss events. It is a read model: it never writes.
type EventLog struct {
	Store persist.Store
}

// Read calls fn for each event with log_seq > after, in log_seq order, at most limit of them
// (all when limit ≤ 0), and returns the oldest log_seq still retained (0 when the log is empty)
// and the newest one assigned so far, so a reader can tell that events it wanted were pruned.
func (l EventLog) Read(after uint64, limit int, fn func(*eventv1.Event) bool) (oldest, newest uint64, err error) {
	err = persist.ReadWith(l.Store, func(v persist.View) error {
		if b, ok := v.Get(persist.Meta, logSeqKey); ok {
			newest = decodeSeq(b)
		}
		v.Scan(persist.Events, "", "", func(k string, _ []byte) bool {
			oldest = decodeSeq([]byte(k))
			return false
		})
		start := ""
		if after > 0 {
			start = EventKey(after)
		}
		n := 0
		var decodeErr error
		v.Scan(persist.Events, "", start, func(k string, val []byte) bool {
			var ev eventv1.Event
			if err := proto.Unmarshal(val, &ev); err != nil {
				decodeErr = fmt.Errorf("event log %d: %w", decodeSeq([]byte(k)), err)
				return false
			}
			n++
			return fn(&ev) && (limit <= 0 || n < limit)
		})
		return decodeErr
	})
	return oldest, newest, err
}
