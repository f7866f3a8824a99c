package room

import (
	"encoding/base64"
	"strings"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// maxSinceBytes bounds the envelope bytes of one ChatSince answer (More says there is more), so
// a page of large messages stays a few MiB.
const maxSinceBytes = 4 << 20

// list answers a page of messages, newest first, older than the cursor. The cursor is the last
// message's position in the order index, so a page never shifts when newer messages arrive.
// A stored envelope whose body does not open (kept while the room was relayed) is skipped.
func (c *core) list(m messages.ListMessages, v persist.View) any {
	limit := m.Limit
	switch {
	case limit == 0:
		limit = messages.DefaultChatPage
	case limit < 0 || limit > messages.MaxChatPage:
		return messages.Invalid("limit", "%d is out of range: want 1 to %d", limit, messages.MaxChatPage)
	}
	after := ""
	if m.Before != "" {
		pos, err := base64.RawURLEncoding.DecodeString(m.Before)
		if _, _, _, ok := parsePosition(string(pos)); err != nil || !ok {
			return messages.Invalid("before", "%q is not a cursor of this room's messages", m.Before)
		}
		after = c.keys.orderAt(string(pos))
	}
	page := messages.ChatPage{Messages: []messages.ChatMessage{}}
	last := ""
	v.Scan(persist.Chat, c.keys.order(), after, func(k string, val []byte) bool {
		if len(page.Messages) == limit {
			page.Next = base64.RawURLEncoding.EncodeToString([]byte(last))
			return false
		}
		sender, seq, ok := parseRef(string(val))
		if !ok {
			return true
		}
		env, ok := c.envelopeAt(v, sender, seq)
		if !ok {
			return true
		}
		body, err := open(c.aead, env)
		if err != nil {
			return true
		}
		page.Messages = append(page.Messages, chatMessage(env, body, c.deps.NodeID))
		last = strings.TrimPrefix(k, c.keys.order())
		return true
	})
	return page
}

// since answers the envelopes a peer lacks given its heads, in (sender, seq) order.
func (c *core) since(m messages.ChatSince, v persist.View) messages.ChatEnvelopes {
	limit := m.Limit
	if limit <= 0 || limit > messages.MaxChatEnvelopes {
		limit = messages.MaxChatEnvelopes
	}
	out := messages.ChatEnvelopes{Envelopes: []messages.ChatEnvelope{}}
	size := 0
	for _, s := range c.senderNames() {
		have := m.Heads[s]
		if have >= c.senders[s].max {
			continue
		}
		v.Scan(persist.Chat, c.keys.chain(s), c.keys.envelope(s, have), func(_ string, raw []byte) bool {
			if len(out.Envelopes) == limit || (size > 0 && size+len(raw) > maxSinceBytes) {
				out.More = true
				return false
			}
			env, err := messages.UnmarshalChatEnvelope(raw)
			if err != nil {
				return true
			}
			out.Envelopes = append(out.Envelopes, env)
			size += len(raw)
			return true
		})
		if out.More {
			break
		}
	}
	return out
}

// file answers an attachment's reference, with its blocks, by file id.
func (c *core) file(m messages.GetChatFile, v persist.View) any {
	r, ok := v.Get(persist.Chat, c.keys.file(m.ID))
	if m.ID == "" || !ok {
		return messages.NotFound("file")
	}
	if f, ok := c.fileAt(v, r); ok {
		return f
	}
	return messages.NotFound("file")
}

// listFiles answers a page of the attachment index, each with its blocks.
func (c *core) listFiles(m messages.ListChatFiles, v persist.View) messages.ChatFiles {
	limit := m.Limit
	if limit <= 0 || limit > messages.MaxChatPage {
		limit = messages.MaxChatPage
	}
	out := messages.ChatFiles{Files: []messages.ChatFileRef{}}
	after := ""
	if m.After != "" {
		after = c.keys.file(m.After)
	}
	v.Scan(persist.Chat, c.keys.files(), after, func(k string, r []byte) bool {
		if len(out.Files) == limit {
			out.Next = out.Files[limit-1].ID
			return false
		}
		if f, ok := c.fileAt(v, r); ok {
			out.Files = append(out.Files, f)
		}
		return true
	})
	return out
}

// fileAt opens the envelope an attachment index entry names and returns its attachment.
func (c *core) fileAt(v persist.View, r []byte) (messages.ChatFileRef, bool) {
	sender, seq, ok := parseRef(string(r))
	if !ok {
		return messages.ChatFileRef{}, false
	}
	env, ok := c.envelopeAt(v, sender, seq)
	if !ok {
		return messages.ChatFileRef{}, false
	}
	body, err := open(c.aead, env)
	if err != nil || body.File == nil {
		return messages.ChatFileRef{}, false
	}
	return *body.File, true
}
