package audit

import (
	"encoding/binary"
	"fmt"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
)

// pruneSlack is how many deletions beyond the records it adds one commit may carry, so a
// lowered max_records shrinks the ring over a few commits instead of in one huge delete.
const pruneSlack = 1024

// Ring is the audit ring's writer: a host.CommitHook the committer calls inside each group's
// transaction. Only the committer's goroutine may call Prepare and Done.
type Ring struct {
	cfg     Config
	state   ringState  // what is durable
	planned *ringState // what Prepare wrote, applied by Done(true)
}

// ringState is the chain's head and the ring's oldest seq.
type ringState struct {
	head  head
	first uint64 // oldest seq kept (0: none yet)
}

var _ host.CommitHook = (*Ring)(nil)

// Open loads the chain head from store so the chain continues across restarts and pruning.
// MaxRecords 0 means DefaultMaxRecords. A head that is missing while records exist (a
// tampered store) is taken from the newest record, so the chain stays linked; Verify reports it.
func Open(store persist.Store, cfg Config) (*Ring, error) {
	if cfg.MaxRecords == 0 {
		cfg.MaxRecords = DefaultMaxRecords
	}
	r := &Ring{cfg: cfg}
	err := persist.ReadWith(store, func(v persist.View) error {
		h, ok := loadHead(v)
		if !ok {
			if seq, line := lastStored(v); seq > 0 {
				e := parseEntry(seq, line)
				h = head{seq: seq, ts: e.rec.TsMs, hash: e.hash}
			}
		}
		r.state = ringState{head: h, first: loadTail(v)}
		if r.state.first == 0 {
			r.state.first = firstStored(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit: open: %w", err)
	}
	return r, nil
}

// Hooks is the ring as the node's commit hooks: itself when enabled, none otherwise.
func (r *Ring) Hooks() []host.CommitHook {
	if r == nil || !r.cfg.Enabled {
		return nil
	}
	return []host.CommitHook{r}
}

// Prepare returns the records of the audited events among events, the new head and the
// pruning of the oldest records beyond MaxRecords; the ring's state changes only in Done.
func (r *Ring) Prepare(events []*eventv1.Event) []persist.Write {
	r.planned = nil
	if !r.cfg.Enabled {
		return nil
	}
	st := r.state
	var writes []persist.Write
	for _, ev := range events {
		if !Audited(ev.GetType()) {
			continue
		}
		st.head.seq++
		st.head.ts = max(st.head.ts, ev.GetTsMs()) // ts_ms never decreases along the chain
		body, h := encodeBody(st.head.seq, st.head.ts, ev, st.head.hash)
		st.head.hash = h
		writes = append(writes, persist.Write{Bucket: persist.Audit, Key: Key(st.head.seq), Value: body})
	}
	if len(writes) == 0 {
		return nil
	}
	if st.first == 0 {
		st.first = r.state.head.seq + 1
	}
	for budget := len(writes) + pruneSlack; st.head.seq-st.first+1 > r.cfg.MaxRecords && budget > 0; budget-- {
		writes = append(writes, persist.Write{Bucket: persist.Audit, Key: Key(st.first), Delete: true})
		st.first++
	}
	writes = append(writes, persist.Write{Bucket: persist.Meta, Key: headKey, Value: st.head.encode()})
	if st.first != r.state.first {
		writes = append(writes, persist.Write{Bucket: persist.Meta, Key: tailKey, Value: binary.BigEndian.AppendUint64(nil, st.first)})
	}
	r.planned = &st
	return writes
}

// Done keeps what Prepare planned when the transaction committed, and drops it otherwise.
func (r *Ring) Done(committed bool) {
	if committed && r.planned != nil {
		r.state = *r.planned
	}
	r.planned = nil
}
