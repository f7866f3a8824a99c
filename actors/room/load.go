package room

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// Load builds the core of entity room/<id> from its registry record (read-only) and its small
// state records: counters, read marker, every sender's chain head and this node's last message.
// An unknown room loads too and answers "room not found" until the registry adds it; a dropped
// one purges its records.
func Load(deps Deps) host.Load {
	return func(entity string, v persist.View) (host.Core, error) {
		id := strings.TrimPrefix(entity, messages.RoomKind+"/")
		c := &core{id: id, keys: chatKeys(id), deps: deps}
		if err := c.attach(v); err != nil {
			return nil, err
		}
		return c, nil
	}
}

// refresh re-attaches when the registry record changed since the last step: a room created,
// relayed, joined (it gains its key) or dropped after its actor started.
func (c *core) refresh(v persist.View) error {
	raw, _ := v.Get(persist.Rooms, c.id)
	if c.senders != nil && bytes.Equal(raw, c.recRaw) {
		return nil
	}
	return c.attach(v)
}

// attach (re)reads the registry record and the room's small state. On failure the core forgets
// the record, so that the next step tries again.
func (c *core) attach(v persist.View) error {
	if err := c.attachRecord(v); err != nil {
		c.recRaw, c.rec, c.aead = nil, nil, nil
		c.senders = nil
		return err
	}
	return nil
}

func (c *core) attachRecord(v persist.View) error {
	rec, raw, err := readRecord(v, c.id)
	if err != nil {
		return err
	}
	c.recRaw, c.rec, c.aead = raw, rec, nil
	c.st, c.senders, c.unread, c.dirty = stateRecord{}, map[string]chainState{}, 0, false
	c.selfPrev, c.selfTs = messages.ChatHash{}, 0
	if rec == nil {
		return nil
	}
	if rec.Dropped {
		c.timers = append(c.timers, host.Timer{Key: timerPurge})
		return nil
	}
	if raw, ok := v.Get(persist.Chat, c.keys.state()); ok {
		if err := json.Unmarshal(raw, &c.st); err != nil {
			return fmt.Errorf("room %s: decode state: %w", c.id, err)
		}
	} else {
		c.st.Relay = rec.Relay
	}
	if !rec.Relay {
		plain, err := c.deps.Unseal(messages.ChatKeyPurpose(c.id), rec.SealedKey)
		if err != nil {
			return fmt.Errorf("room %s: unseal chat key: %w", c.id, err)
		}
		if len(plain) != len(messages.ChatKey{}) {
			return fmt.Errorf("room %s: sealed chat key is %d bytes, want 32", c.id, len(plain))
		}
		c.aead = newAEAD(messages.ChatKey(plain))
		if c.st.Relay { // joined a room it relayed: index what it stored without the key
			c.st.Relay, c.st.Reindexing, c.dirty = false, true, true
		}
		if c.st.Reindexing {
			c.timers = append(c.timers, host.Timer{Key: timerReindex})
		}
	}
	var bad error
	v.Scan(persist.Chat, c.keys.senders(), "", func(k string, val []byte) bool {
		ch, ok := decodeChain(val)
		if !ok {
			bad = fmt.Errorf("room %s: chain record %q is %d bytes, want 16", c.id, k, len(val))
			return false
		}
		c.senders[c.keys.senderOf(k)] = ch
		return true
	})
	if bad != nil {
		return bad
	}
	if self := c.senders[c.deps.NodeID]; self.max > 0 {
		raw, ok := v.Get(persist.Chat, c.keys.envelope(c.deps.NodeID, self.max))
		env, err := messages.UnmarshalChatEnvelope(raw)
		if !ok || err != nil {
			return fmt.Errorf("room %s: this node's message %d is unreadable (%v)", c.id, self.max, err)
		}
		c.selfPrev, c.selfTs = env.Hash(), env.TsMs
	}
	if c.aead != nil {
		c.unread = countUnread(v, c.keys, c.st.ReadTsMs, c.deps.NodeID)
	}
	return nil
}
