package room

import (
	"encoding/json"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// send writes one message from this node: the next link of its own chain (seq = last + 1,
// prev = the last one's hash, ts_ms strictly after the last one's), sealed and signed.
func (c *core) send(now time.Time, m messages.SendMessage, v persist.View) host.Output {
	if err := checkBody(m.Body); err != nil {
		return host.Output{Reply: err}
	}
	plain := mustJSON(m.Body)
	self := c.senders[c.deps.NodeID]
	env := messages.ChatEnvelope{
		RoomID: c.id, Sender: c.deps.NodeID, Seq: self.max + 1, Prev: c.selfPrev,
		TsMs: max(now.UnixMilli(), c.selfTs+1),
	}
	env.Nonce = envelopeNonce(m.Nonce, env)
	env.Body = seal(c.aead, env, plain)
	if len(env.Body) > messages.MaxChatBody {
		return host.Output{Reply: messages.Invalid("body", "the sealed message is %d bytes; at most %d", len(env.Body), messages.MaxChatBody)}
	}
	env.Sig = c.deps.Sign(env.Signed())
	var body messages.ChatBody
	if err := json.Unmarshal(plain, &body); err != nil { // the body as every receiver decodes it
		return host.Output{Reply: err}
	}
	tx := newTxn(v)
	ev := c.add(tx, env, &body)
	return host.Output{
		Writes: tx.writes(),
		Events: []host.Event{ev},
		Reply:  messages.ChatSent{Message: chatMessage(env, body, c.deps.NodeID), Envelope: env},
	}
}

// add stores a checked envelope and its indexes, updates the sender's chain and the counters,
// and returns the chat_message event of a readable message (body nil: stored without the key).
func (c *core) add(tx *txn, env messages.ChatEnvelope, body *messages.ChatBody) host.Event {
	raw := env.Marshal()
	r := ref(env.Sender, env.Seq)
	tx.put(c.keys.envelopeAt(r), raw)
	tx.put(c.keys.orderAt(position(env.TsMs, env.Sender, env.Seq)), []byte(r))
	if body != nil && body.File != nil {
		if _, ok := tx.Get(persist.Chat, c.keys.file(body.File.ID)); !ok {
			tx.put(c.keys.file(body.File.ID), []byte(r))
		}
	}

	ch := c.senders[env.Sender]
	ch.max = max(ch.max, env.Seq)
	for {
		if _, ok := tx.Get(persist.Chat, c.keys.envelope(env.Sender, ch.head+1)); !ok {
			break
		}
		ch.head++
	}
	c.senders[env.Sender] = ch
	tx.put(c.keys.sender(env.Sender), encodeChain(ch))
	if env.Sender == c.deps.NodeID && env.Seq == ch.max {
		c.selfPrev, c.selfTs = env.Hash(), env.TsMs
	}

	c.st.Messages++
	c.st.Bytes += int64(len(raw))
	c.st.LastTsMs = max(c.st.LastTsMs, env.TsMs)
	if c.st.OldestTsMs == 0 || env.TsMs < c.st.OldestTsMs {
		c.st.OldestTsMs = env.TsMs
	}
	c.dirty = true
	if body == nil {
		return host.Event{}
	}
	self := env.Sender == c.deps.NodeID
	if !self && env.TsMs > c.st.ReadTsMs {
		c.unread++
	}
	return host.Event{Type: "chat_message", Data: map[string]any{
		"room_id": c.id, "sender_node_id": env.Sender, "ts_ms": env.TsMs, "message_ts_ms": env.TsMs,
		"message_type": body.Type, "content_hash": env.Hash().String(), "is_self": self, "sender_seq": env.Seq,
	}}
}
