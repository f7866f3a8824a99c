package room

import (
	"crypto/cipher"
	"fmt"
	"maps"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// Timer keys of a room core.
const (
	timerPurge   = "purge"   // delete the next batch of a dropped room's records
	timerReindex = "reindex" // index the attachments of envelopes stored while relayed
)

// core is one room (entity room/<id>). It caches the small, hot state — registry record, key,
// counters, read marker, per-sender chain heads — and reads messages through the view.
type core struct {
	id   string
	keys keys
	deps Deps

	recRaw []byte
	rec    *roomRecord // nil: no such room here
	aead   cipher.AEAD // nil: relayed (no key) or not held

	st       stateRecord
	senders  map[string]chainState
	selfPrev messages.ChatHash // hash of this node's last message
	selfTs   int64             // its ts_ms
	unread   int64

	dirty  bool         // st changed: the step writes it
	timers []host.Timer // wanted by attach: the next step arms them
}

// errRelay answers what needs the key in a room this node only relays.
func (c *core) errRelay() error {
	return fmt.Errorf("room %w: room %s is relayed on this node: it has no key", messages.ErrLocked, c.id)
}

func (c *core) Step(now time.Time, msg any, v persist.View) host.Output {
	if err := c.refresh(v); err != nil {
		return host.Output{Reply: err}
	}
	out := c.step(now, msg, v)
	if c.dirty && c.rec.live() {
		c.dirty = false
		out.Writes = append(out.Writes, persist.Write{Bucket: persist.Chat, Key: c.keys.state(), Value: mustJSON(c.st)})
	}
	for _, t := range c.timers {
		out.Timers = append(out.Timers, host.Timer{Key: t.Key, At: now})
	}
	c.timers = nil
	return out
}

func (c *core) step(now time.Time, msg any, v persist.View) host.Output {
	switch m := msg.(type) {
	case host.Recovered:
		return host.Output{}
	case host.Wake:
		switch m.Key {
		case timerPurge:
			return c.purgeStep(now, v)
		case timerReindex:
			return c.reindexStep(v)
		}
		return host.Output{}
	case messages.PurgeRoom:
		if c.rec.live() {
			return host.Output{Reply: fmt.Errorf("%w: room %s is still held; drop it first", messages.ErrConflict, c.id)}
		}
		return c.purgeStep(now, v)
	}
	if !c.rec.live() {
		return host.Output{Reply: messages.NotFound("room")}
	}
	switch m := msg.(type) {
	case messages.ReceiveEnvelopes:
		return c.receive(now, m, v)
	case messages.GetRoomStatus:
		return host.Output{Reply: c.status(v)}
	case messages.ChatSince:
		return host.Output{Reply: c.since(m, v)}
	}
	if c.aead == nil {
		return host.Output{Reply: c.errRelay()}
	}
	switch m := msg.(type) {
	case messages.SendMessage:
		return c.send(now, m, v)
	case messages.ListMessages:
		return host.Output{Reply: c.list(m, v)}
	case messages.MarkRead:
		return c.markRead(now, m, v)
	case messages.ReceiveReceipt:
		return c.receipt(now, m.Receipt, v)
	case messages.GetChatFile:
		return host.Output{Reply: c.file(m, v)}
	case messages.ListChatFiles:
		return host.Output{Reply: c.listFiles(m, v)}
	}
	return host.Output{Reply: fmt.Errorf("room: unknown command %T", msg)}
}

// status is the room's counters and chain heads.
func (c *core) status(v persist.View) messages.RoomStatus {
	s := messages.RoomStatus{
		RoomID: c.id, Messages: c.st.Messages, Bytes: c.st.Bytes, LastTsMs: c.st.LastTsMs, Unread: c.unread,
		ReadTsMs: c.st.ReadTsMs, Heads: map[string]uint64{}, Gaps: c.gaps(v), Relay: c.aead == nil,
		SelfSeq: c.senders[c.deps.NodeID].max, OldestTsMs: c.st.OldestTsMs,
	}
	for s2, ch := range c.senders {
		if ch.head > 0 {
			s.Heads[s2] = ch.head
		}
	}
	if len(c.st.ReadBy) > 0 {
		s.ReadBy = maps.Clone(c.st.ReadBy)
	}
	return s
}

// markRead moves the read marker forward (never back) and recounts the unread messages. A
// marker past the clock is refused, as the other members refuse its receipt.
func (c *core) markRead(now time.Time, m messages.MarkRead, v persist.View) host.Output {
	switch {
	case m.TsMs < 0:
		return host.Output{Reply: messages.Invalid("ts_ms", "%d is negative", m.TsMs)}
	case m.TsMs > now.UnixMilli()+messages.MaxChatClockAhead:
		return host.Output{Reply: messages.Invalid("ts_ms", "%d is more than %d ms ahead of this node's clock (ms since the epoch?)", m.TsMs, messages.MaxChatClockAhead)}
	}
	if m.TsMs <= c.st.ReadTsMs {
		return host.Output{Reply: c.status(v)}
	}
	c.st.ReadTsMs = m.TsMs
	c.unread = countUnread(v, c.keys, c.st.ReadTsMs, c.deps.NodeID)
	c.dirty = true
	st := c.status(v)
	rc := messages.ChatReceipt{RoomID: c.id, Reader: c.deps.NodeID, TsMs: m.TsMs}
	rc.Sig = c.deps.Sign(rc.Signed())
	st.Receipt = &rc
	return host.Output{
		Events: []host.Event{{Type: "chat_read", Data: map[string]any{"room_id": c.id, "read_ts_ms": m.TsMs, "unread": c.unread,
			"reader_node_id": c.deps.NodeID, "is_self": true}}},
		Reply: st,
	}
}

// receipt records another member's read receipt when it is signed by its reader and moves
// that reader's marker forward; a stale, own, foreign or badly signed one changes nothing.
func (c *core) receipt(now time.Time, rc messages.ChatReceipt, v persist.View) host.Output {
	switch {
	case rc.RoomID != c.id:
		return host.Output{Reply: messages.Invalid("room_id", "the receipt is for room %s, not %s", rc.RoomID, c.id)}
	case rc.Reader == c.deps.NodeID || rc.TsMs <= c.st.ReadBy[rc.Reader]:
		return host.Output{Reply: c.status(v)}
	case rc.TsMs > now.UnixMilli()+messages.MaxChatClockAhead:
		return host.Output{Reply: messages.Invalid("ts_ms", "the receipt is more than %d ms ahead of this node's clock", messages.MaxChatClockAhead)}
	case !c.deps.Verify(rc.Reader, rc.Signed(), rc.Sig):
		return host.Output{Reply: messages.Invalid("sig", "the receipt is not signed by its reader %s", rc.Reader)}
	}
	if c.st.ReadBy == nil {
		c.st.ReadBy = map[string]int64{}
	}
	c.st.ReadBy[rc.Reader] = rc.TsMs
	c.dirty = true
	return host.Output{
		Events: []host.Event{{Type: "chat_read", Data: map[string]any{"room_id": c.id, "read_ts_ms": rc.TsMs,
			"reader_node_id": rc.Reader, "is_self": false}}},
		Reply: c.status(v),
	}
}

// countUnread counts the messages from others after the read marker: the order index from its
// newest end down to the marker.
func countUnread(v persist.View, k keys, readTs int64, self string) int64 {
	var n int64
	v.Scan(persist.Chat, k.order(), "", func(key string, _ []byte) bool {
		ts, sender, _, ok := parsePosition(key[len(k.order()):])
		if !ok {
			return true
		}
		if ts <= readTs {
			return false
		}
		if sender != self {
			n++
		}
		return true
	})
	return n
}
