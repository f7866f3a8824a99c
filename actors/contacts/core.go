// Package contacts is the node's contact list actor (entity contacts/self): other nodes the
// user keeps, by peer id, with a name, a note and a favourite flag. Node ids arrive decoded and
// canonical (http/api decodes them with libp2p, which a core may not import).
package contacts

import (
	"errors"
	"fmt"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// core counts the contacts (to enforce messages.MaxContacts); the contacts are read from disk.
type core struct {
	prefix string // "contacts/self/": the key of node n is prefix + n
	count  int
}

func (c *core) Step(now time.Time, msg any, v persist.View) host.Output {
	switch m := msg.(type) {
	case host.Recovered:
		return host.Output{}
	case messages.ListContacts:
		return host.Output{Reply: messages.ContactList{Contacts: c.list(v)}}
	case messages.GetContact:
		rec, err := c.get(v, m.NodeID)
		if err != nil {
			return host.Output{Reply: err}
		}
		return host.Output{Reply: toContact(rec)}
	case messages.UpsertContact:
		return c.upsert(now.UnixMilli(), m, v)
	case messages.RemoveContact:
		if _, err := c.get(v, m.NodeID); err != nil {
			return host.Output{Reply: err}
		}
		c.count--
		return host.Output{
			Writes: []persist.Write{{Bucket: persist.Contacts, Key: c.prefix + m.NodeID, Delete: true}},
			Events: []host.Event{{Type: "contact_removed", Data: messages.ContactChanged{NodeID: m.NodeID}}},
			Reply:  messages.ContactRemoved{NodeID: m.NodeID},
		}
	}
	return host.Output{Reply: fmt.Errorf("contacts: unknown command %T", msg)}
}

func (c *core) upsert(ms int64, m messages.UpsertContact, v persist.View) host.Output {
	if err := checkNodeID(m.NodeID); err != nil {
		return host.Output{Reply: err}
	}
	if err := m.Check(); err != nil {
		return host.Output{Reply: err}
	}
	rec, err := c.get(v, m.NodeID)
	created := errors.Is(err, messages.ErrNotFound)
	switch {
	case err != nil && !created:
		return host.Output{Reply: err}
	case created:
		if c.count >= messages.MaxContacts {
			return host.Output{Reply: fmt.Errorf("%w: the contact list is full (%d); remove one first", messages.ErrConflict, messages.MaxContacts)}
		}
		rec = &storev1.Contact{NodeId: m.NodeID, AddedMs: ms}
	}
	fields := apply(rec, m)
	if !created && len(fields) == 0 {
		return host.Output{Reply: messages.ContactUpserted{Contact: toContact(rec)}}
	}
	rec.UpdatedMs = ms
	typ, data := "contact_updated", messages.ContactChanged{NodeID: m.NodeID, Fields: fields}
	if created {
		c.count++
		typ, data.Fields = "contact_added", nil
	}
	return host.Output{
		Writes: []persist.Write{{Bucket: persist.Contacts, Key: c.prefix + m.NodeID, Value: marshal(rec)}},
		Events: []host.Event{{Type: typ, Data: data}},
		Reply:  messages.ContactUpserted{Contact: toContact(rec), Created: created},
	}
}

// apply sets the fields of m that are present on rec and lists those that changed, in a fixed
// order.
func apply(rec *storev1.Contact, m messages.UpsertContact) []string {
	var fields []string
	if m.Favourite != nil && *m.Favourite != rec.Favourite {
		rec.Favourite = *m.Favourite
		fields = append(fields, "favourite")
	}
	if m.Name != nil && *m.Name != rec.Name {
		rec.Name = *m.Name
		fields = append(fields, "name")
	}
	if m.Note != nil && *m.Note != rec.Note {
		rec.Note = *m.Note
		fields = append(fields, "note")
	}
	return fields
}

// checkNodeID refuses what cannot be a canonical peer id; http/api has decoded it already.
func checkNodeID(id string) error {
	if id == "" || len(id) > messages.MaxNodeID {
		return messages.Invalid("node_id", "is not a libp2p peer id")
	}
	return nil
}
