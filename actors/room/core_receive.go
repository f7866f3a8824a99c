package room

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// Bounds of one ReceiveEnvelopes answer.
const (
	maxReasons = 8  // rejection reasons reported
	maxGaps    = 32 // gap runs reported
)

// errDuplicate marks an envelope already held: dropped, not rejected.
var errDuplicate = errors.New("duplicate")

// receive checks and stores envelopes from peers, in the order given: each one is checked
// against what is stored and what this batch stored before it.
func (c *core) receive(now time.Time, m messages.ReceiveEnvelopes, v persist.View) host.Output {
	if len(m.Envelopes) > messages.MaxChatEnvelopes {
		return host.Output{Reply: messages.Invalid("envelopes", "%d envelopes; at most %d per batch", len(m.Envelopes), messages.MaxChatEnvelopes)}
	}
	tx := newTxn(v)
	var rep messages.ChatReceived
	var events []host.Event
	for _, env := range m.Envelopes {
		body, err := c.check(now, tx, env)
		switch {
		case errors.Is(err, errDuplicate):
			rep.Duplicate++
		case err != nil:
			rep.Rejected++
			if len(rep.Reasons) < maxReasons {
				rep.Reasons = append(rep.Reasons, fmt.Sprintf("%s/%d: %v", short(env.Sender), env.Seq, err))
			}
		default:
			rep.Added++
			if ev := c.add(tx, env, body); ev.Type != "" {
				events = append(events, ev)
			}
		}
	}
	rep.Gaps = c.gaps(tx)
	return host.Output{Writes: tx.writes(), Events: events, Reply: rep}
}

// check decides one envelope: errDuplicate, a rejection, or nil with its opened body (nil
// without the key).
func (c *core) check(now time.Time, tx *txn, env messages.ChatEnvelope) (*messages.ChatBody, error) {
	switch {
	case env.RoomID != c.id:
		return nil, fmt.Errorf("belongs to room %q", env.RoomID)
	case env.Seq == 0 || env.Sender == "" || len(env.Sender) > 128 || strings.ContainsRune(env.Sender, 0) ||
		len(env.Body) > messages.MaxChatBody || len(env.Sig) > 128:
		return nil, errors.New("malformed envelope")
	case env.TsMs <= 0:
		return nil, fmt.Errorf("ts_ms %d is not a time", env.TsMs)
	case env.TsMs > now.UnixMilli()+messages.MaxChatClockAhead:
		return nil, fmt.Errorf("ts_ms %d is more than %d s ahead of this node's clock", env.TsMs, messages.MaxChatClockAhead/1000)
	}
	hash := env.Hash()
	if held, ok := c.envelopeAt(tx, env.Sender, env.Seq); ok {
		if held.Hash() == hash {
			return nil, errDuplicate
		}
		return nil, fmt.Errorf("fork: the sender's message %d is already another one", env.Seq)
	}
	if !c.deps.Verify(env.Sender, env.Signed(), env.Sig) {
		return nil, errors.New("bad signature")
	}
	if err := c.checkChain(tx, env, hash); err != nil {
		return nil, fmt.Errorf("chain: %w", err)
	}
	if c.aead == nil {
		return nil, nil // a relay keeps what it cannot read
	}
	body, err := open(c.aead, env)
	if err != nil {
		return nil, err
	}
	return &body, nil
}

// checkChain checks env against its stored neighbours in the sender's chain: message seq-1
// must be the one it names and older; message seq+1 must name it and be newer.
func (c *core) checkChain(tx *txn, env messages.ChatEnvelope, hash messages.ChatHash) error {
	if env.Seq == 1 && !env.Prev.IsZero() {
		return errors.New("the sender's first message names a previous one")
	}
	if prev, ok := c.envelopeAt(tx, env.Sender, env.Seq-1); ok && env.Seq > 1 {
		if prev.Hash() != env.Prev {
			return fmt.Errorf("prev does not match the sender's message %d", env.Seq-1)
		}
		if env.TsMs <= prev.TsMs {
			return fmt.Errorf("ts_ms is not after the sender's message %d", env.Seq-1)
		}
	}
	if next, ok := c.envelopeAt(tx, env.Sender, env.Seq+1); ok {
		if next.Prev != hash {
			return fmt.Errorf("the sender's message %d names another previous message", env.Seq+1)
		}
		if next.TsMs <= env.TsMs {
			return fmt.Errorf("ts_ms is not before the sender's message %d", env.Seq+1)
		}
	}
	return nil
}

// envelopeAt reads the stored envelope (sender, seq).
func (c *core) envelopeAt(v persist.View, sender string, seq uint64) (messages.ChatEnvelope, bool) {
	raw, ok := v.Get(persist.Chat, c.keys.envelope(sender, seq))
	if !ok {
		return messages.ChatEnvelope{}, false
	}
	env, err := messages.UnmarshalChatEnvelope(raw)
	if err != nil {
		panic(fmt.Errorf("room %s: stored envelope %s/%d: %w", c.id, sender, seq, err)) // the host reloads
	}
	return env, true
}

// gaps lists, per sender in name order, the runs of seqs missing below the highest one held.
func (c *core) gaps(v persist.View) []messages.ChatGap {
	var out []messages.ChatGap
	for _, s := range c.senderNames() {
		ch := c.senders[s]
		if ch.max <= ch.head {
			continue
		}
		next := ch.head + 1 // the first seq not yet seen held
		chain := c.keys.chain(s)
		v.Scan(persist.Chat, chain, c.keys.envelope(s, ch.head), func(k string, _ []byte) bool {
			_, seq, ok := parseRef(k[len(c.keys.envelopes()):])
			if !ok {
				return true
			}
			if seq > next {
				out = append(out, messages.ChatGap{Sender: s, From: next, To: seq - 1})
			}
			next = seq + 1
			return len(out) < maxGaps
		})
		if len(out) >= maxGaps {
			break
		}
	}
	return out
}

// senderNames lists the senders held, in byte order.
func (c *core) senderNames() []string {
	names := make([]string, 0, len(c.senders))
	for s := range c.senders {
		names = append(names, s)
	}
	slices.Sort(names)
	return names
}

// short abbreviates a peer id for a reason line.
func short(id string) string {
	if len(id) > 16 {
		return "…" + id[len(id)-8:]
	}
	return id
}
