package vault

import (
	"encoding/json"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// replicaStep answers what the scrubber and the replication driver ask and report
// (docs/replication.md): the referenced blocks, page by page, and the last scrub and pull. None
// needs the key, so trusted, locked and untrusted vaults answer alike; false for any other
// message.
func (c *core) replicaStep(now time.Time, msg any, v persist.View) (host.Output, bool) {
	switch m := msg.(type) {
	case messages.ListBlockRefs:
		return host.Output{Reply: c.blockRefs(m, v)}, true
	case messages.RecordScrub:
		return c.recordScrub(now, m), true
	case messages.RecordReplication:
		return c.recordPull(now, m), true
	}
	return host.Output{}, false
}

// blockRefs pages through the ref/ keys after m.After.
func (c *core) blockRefs(m messages.ListBlockRefs, v persist.View) messages.BlockRefs {
	limit := m.Limit
	if limit <= 0 || limit > messages.MaxBlockRefs {
		limit = messages.MaxBlockRefs
	}
	from := ""
	if m.After != (messages.BlockAddr{}) {
		from = c.keys.ref(m.After[:]) + "\x00" // the first key after it
	}
	out := messages.BlockRefs{}
	v.Scan(persist.Catalog, c.keys.refs(), from, func(key string, _ []byte) bool {
		a, ok := parseAddr(key[len(c.keys.refs()):])
		if !ok {
			return true
		}
		if len(out.Addrs) == limit {
			out.More = true
			return false
		}
		out.Addrs = append(out.Addrs, a)
		out.Next = a
		return true
	})
	if !out.More {
		out.Next = messages.BlockAddr{}
	}
	return out
}

// recordScrub keeps the pass as the last scrub and reports the blocks it repaired.
func (c *core) recordScrub(now time.Time, m messages.RecordScrub) host.Output {
	if err := m.Check(); err != nil {
		return host.Output{Reply: err}
	}
	rec := &messages.ScrubRecord{AtMs: m.AtMs, FinishedMs: now.UnixMilli(), Checked: m.Checked, Bytes: m.Bytes,
		Missing: m.Missing, Damaged: m.Damaged, Repaired: m.Repaired, Unrepaired: m.Unrepaired,
		UnrepairedBlocks: hexAddrs(m.UnrepairedBlocks)}
	out := host.Output{Writes: []persist.Write{{Bucket: persist.Catalog, Key: c.keys.scrub(), Value: jsonOf(rec)}}, Reply: *rec}
	if m.Repaired > 0 {
		out.Events = []host.Event{{Type: "block_repaired", Data: map[string]any{"vault_id": c.id,
			"repaired": m.Repaired, "missing": m.Missing, "damaged": m.Damaged, "unrepaired": m.Unrepaired,
			"blocks": hexAddrs(m.RepairedBlocks)}}}
	}
	c.scrub = rec
	return out
}

// recordPull reports a pull that changed something and keeps it as the last pull.
func (c *core) recordPull(now time.Time, m messages.RecordReplication) host.Output {
	if err := m.Check(); err != nil {
		return host.Output{Reply: err}
	}
	if m.Records == 0 && m.Pruned == 0 && m.Blocks == 0 {
		var reply messages.PullRecord
		if c.pull != nil {
			reply = *c.pull
		}
		return host.Output{Reply: reply}
	}
	rec := &messages.PullRecord{AtMs: now.UnixMilli(), Peer: m.Peer, Records: m.Records, Pruned: m.Pruned, Blocks: m.Blocks, Bytes: m.Bytes}
	out := host.Output{Writes: []persist.Write{{Bucket: persist.Catalog, Key: c.keys.lastPull(), Value: jsonOf(rec)}}, Reply: *rec}
	out.Events = append(out.Events, host.Event{Type: "replication_progress", Data: map[string]any{"vault_id": c.id,
		"peer": m.Peer, "records": m.Records, "pruned": m.Pruned, "blocks": m.Blocks, "bytes": m.Bytes}})
	if m.Blocks > 0 {
		out.Events = append(out.Events, host.Event{Type: "block_replicated", Data: map[string]any{"vault_id": c.id,
			"peer": m.Peer, "blocks": m.Blocks, "bytes": m.Bytes}})
	}
	c.pull = rec
	return out
}

// loadReports reads the last scrub and pull records; an unreadable one reads as none.
func (c *core) loadReports(tx *txn) {
	c.scrub, c.pull = nil, nil
	if raw, ok := tx.get(c.keys.scrub()); ok {
		rec := &messages.ScrubRecord{}
		if json.Unmarshal(raw, rec) == nil {
			c.scrub = rec
		}
	}
	if raw, ok := tx.get(c.keys.lastPull()); ok {
		rec := &messages.PullRecord{}
		if json.Unmarshal(raw, rec) == nil {
			c.pull = rec
		}
	}
}

// jsonOf encodes a small report record (struct fields: a deterministic encoding).
func jsonOf(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of numbers and strings
	}
	return b
}

func hexAddrs(addrs []messages.BlockAddr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}
