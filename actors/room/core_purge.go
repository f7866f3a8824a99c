package room

import (
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// Batch sizes of the background steps, so no step holds the actor for long.
const (
	purgeBatch   = 1000 // records one purge step deletes
	reindexBatch = 500  // envelopes one reindex step opens
)

// purgeStep deletes the next batch of a dropped room's records and continues by timer until
// none is left.
func (c *core) purgeStep(now time.Time, v persist.View) host.Output {
	if c.rec == nil || !c.rec.Dropped {
		return host.Output{Reply: messages.RoomPurged{Done: true}}
	}
	var writes []persist.Write
	more := false
	v.Scan(persist.Chat, c.keys.all(), "", func(k string, _ []byte) bool {
		if more = len(writes) == purgeBatch; more {
			return false
		}
		writes = append(writes, persist.Write{Bucket: persist.Chat, Key: k, Delete: true})
		return true
	})
	out := host.Output{Writes: writes, Reply: messages.RoomPurged{Done: !more}}
	switch {
	case more:
		out.Timers = []host.Timer{{Key: timerPurge, At: now}}
	case len(writes) > 0:
		out.Events = []host.Event{{Type: "room_purged", Data: map[string]any{"room_id": c.id}}}
	}
	return out
}

// reindexStep indexes the attachments of the next batch of envelopes stored while the room was
// relayed, now that it has the key; it continues by timer until every sender's chain is done.
func (c *core) reindexStep(v persist.View) host.Output {
	if !c.rec.live() || c.aead == nil || !c.st.Reindexing {
		return host.Output{}
	}
	tx := newTxn(v)
	after := c.keys.envelopes()
	if c.st.ReindexSender != "" {
		after = c.keys.envelope(c.st.ReindexSender, c.st.ReindexSeq)
	}
	n := 0
	v.Scan(persist.Chat, c.keys.envelopes(), after, func(k string, raw []byte) bool {
		if n == reindexBatch {
			return false
		}
		n++
		sender, seq, ok := parseRef(k[len(c.keys.envelopes()):])
		if !ok {
			return true
		}
		c.st.ReindexSender, c.st.ReindexSeq = sender, seq
		env, err := messages.UnmarshalChatEnvelope(raw)
		if err != nil {
			return true
		}
		if body, err := open(c.aead, env); err == nil && body.File != nil {
			if _, held := tx.Get(persist.Chat, c.keys.file(body.File.ID)); !held {
				tx.put(c.keys.file(body.File.ID), []byte(ref(sender, seq)))
			}
		}
		return true
	})
	c.dirty = true
	out := host.Output{Writes: tx.writes()}
	if n < reindexBatch {
		c.st.Reindexing, c.st.ReindexSender, c.st.ReindexSeq = false, "", 0
	} else {
		c.timers = append(c.timers, host.Timer{Key: timerReindex}) // Step arms it at now
	}
	return out
}
