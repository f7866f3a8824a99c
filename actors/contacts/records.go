package contacts

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// Load builds the contacts core of entity, counting its contacts (bucket persist.Contacts,
// keys "<entity>/<node_id>").
func Load(entity string, v persist.View) (host.Core, error) {
	c := &core{prefix: entity + "/"}
	v.Scan(persist.Contacts, c.prefix, "", func(string, []byte) bool { c.count++; return true })
	return c, nil
}

// get reads the contact id; "contact not found" when there is none.
func (c *core) get(v persist.View, id string) (*storev1.Contact, error) {
	raw, ok := v.Get(persist.Contacts, c.prefix+id)
	if !ok || id == "" {
		return nil, messages.NotFound("contact")
	}
	rec := &storev1.Contact{}
	if err := proto.Unmarshal(raw, rec); err != nil {
		return nil, fmt.Errorf("contacts: decode %s: %w", id, err)
	}
	return rec, nil
}

// list reads every contact: favourites first, then by name (case folded), then by node id.
// Unreadable records are skipped.
func (c *core) list(v persist.View) []messages.Contact {
	out := make([]messages.Contact, 0, c.count)
	v.Scan(persist.Contacts, c.prefix, "", func(_ string, raw []byte) bool {
		var rec storev1.Contact
		if proto.Unmarshal(raw, &rec) == nil {
			out = append(out, toContact(&rec))
		}
		return true
	})
	slices.SortFunc(out, func(a, b messages.Contact) int {
		if a.Favourite != b.Favourite {
			if a.Favourite {
				return -1
			}
			return 1
		}
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.NodeID, b.NodeID))
	})
	return out
}

func toContact(r *storev1.Contact) messages.Contact {
	return messages.Contact{NodeID: r.GetNodeId(), Name: r.GetName(), Note: r.GetNote(), Favourite: r.GetFavourite(),
		AddedMs: r.GetAddedMs(), UpdatedMs: r.GetUpdatedMs()}
}

func marshal(m proto.Message) []byte { return storev1.Marshal(m) }
