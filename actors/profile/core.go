// Package profile is the node's profile actor (entity profile/self): what this node says about
// itself — its peer id, display name, avatar, push endpoint and metered flag.
//
// config.yaml's node.name seeds the display name: the daemon writes it to the NodeInfo record
// before the actors start, and the core imports it into the profile when it differs from the
// name it imported last time. So a hand edit of node.name wins at the next start, and a name
// set with PUT /profile survives restarts for as long as node.name stays the same.
package profile

import (
	"fmt"
	"slices"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// core keeps the small profile in memory (it is read on every /whoami) and its record on disk.
type core struct {
	nodeID string
	key    string
	rec    *storev1.Profile
	// seeded is set when Load imported a new config name that Recovered must still write.
	seeded bool
}

func (c *core) Step(now time.Time, msg any, _ persist.View) host.Output {
	switch m := msg.(type) {
	case host.Recovered:
		if !c.seeded {
			return host.Output{}
		}
		c.seeded = false
		return c.changed(now, []string{messages.FieldDisplayName}, "config", nil)
	case messages.GetWhoami:
		return host.Output{Reply: messages.Whoami{NodeID: c.nodeID, Name: c.rec.GetDisplayName()}}
	case messages.GetProfile:
		return host.Output{Reply: c.profile()}
	case messages.UpdateProfile:
		return c.update(now, m)
	}
	return host.Output{Reply: fmt.Errorf("profile: unknown command %T", msg)}
}

func (c *core) update(now time.Time, m messages.UpdateProfile) host.Output {
	if err := m.Check(); err != nil {
		return host.Output{Reply: err}
	}
	var fields []string
	set := func(field string, dst *string, v *string) {
		if v != nil && *v != *dst {
			*dst = *v
			fields = append(fields, field)
		}
	}
	set(messages.FieldDisplayName, &c.rec.DisplayName, m.DisplayName)
	set(messages.FieldAvatar, &c.rec.Avatar, m.Avatar)
	set(messages.FieldPushEndpoint, &c.rec.PushEndpoint, m.PushEndpoint)
	if m.Metered != nil && *m.Metered != c.rec.Metered {
		c.rec.Metered = *m.Metered
		fields = append(fields, messages.FieldMetered)
	}
	if len(fields) == 0 {
		return host.Output{Reply: c.profile()}
	}
	return c.changed(now, fields, "api", c.profile)
}

// changed writes the record, reports the fields in a profile_changed event and answers with
// reply's value, if any.
func (c *core) changed(now time.Time, fields []string, via string, reply func() messages.Profile) host.Output {
	c.rec.UpdatedMs = now.UnixMilli()
	slices.Sort(fields)
	out := host.Output{
		Writes: []persist.Write{{Bucket: persist.Profile, Key: c.key, Value: marshal(c.rec)}},
		Events: []host.Event{{Type: "profile_changed", Data: messages.ProfileChanged{
			Fields: fields, DisplayName: c.rec.DisplayName, Metered: c.rec.Metered, Via: via}}},
	}
	if reply != nil {
		out.Reply = reply()
	}
	return out
}

func (c *core) profile() messages.Profile {
	return messages.Profile{
		NodeID:       c.nodeID,
		DisplayName:  c.rec.GetDisplayName(),
		Avatar:       c.rec.GetAvatar(),
		PushEndpoint: c.rec.GetPushEndpoint(),
		Metered:      c.rec.GetMetered(),
		UpdatedMs:    c.rec.GetUpdatedMs(),
	}
}
