package network

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// rotate replaces network m.ID's key: the record moves to the new key's fingerprint, the old id
// is remembered as moved, and the active network follows.
func (c *core) rotate(ms int64, m messages.RotateKey, v persist.View) host.Output {
	rec, err := c.get(v, m.ID)
	if err != nil {
		return host.Output{Reply: err}
	}
	return c.rotateTo(ms, rec, m.NewKey, m.From, v)
}

func (c *core) rotateTo(ms int64, rec *storev1.Network, key messages.SealedKey, from string, v persist.View) host.Output {
	if err := key.Check("key"); err != nil {
		return host.Output{Reply: err}
	}
	oldID, newID := rec.GetId(), key.Fingerprint
	if newID == oldID {
		return host.Output{Reply: messages.Invalid("key", "is the network's current swarm key")}
	}
	if other, err := c.get(v, newID); err == nil {
		return host.Output{Reply: fmt.Errorf("%w: the new swarm key is already saved as network %s (%q)", messages.ErrConflict, other.GetId(), other.GetName())}
	}
	rec.Id, rec.SealedKey, rec.PreviousId = newID, append([]byte(nil), key.Sealed...), oldID
	rec.RotatedMs, rec.UpdatedMs = ms, ms
	out := host.Output{Writes: []persist.Write{c.delNet(oldID), c.putNet(rec), c.putMoved(ms, oldID, newID)}}
	if _, err := c.getRotation(v, newID); err == nil { // held already: this applies it
		out.Writes = append(out.Writes, c.delRotation(newID))
		c.pending--
	}
	if c.active == oldID {
		out.Writes = append(out.Writes, c.putActive(ms, newID))
		c.active = newID
	}
	via := messages.ViaAPI
	if from != "" {
		via = messages.ViaPeer
	}
	out.Events = []host.Event{{Type: "swarm_key_rotated", Data: messages.NetworkChanged{NetworkID: newID, Name: rec.GetName(), Via: via, PreviousID: oldID, From: from}}}
	out.Reply = messages.KeyRotated{Network: c.toNetwork(rec), PreviousID: oldID}
	return out
}

// hold keeps a pushed key for the operator; a key held already gains the sender.
func (c *core) hold(ms int64, m messages.HoldRotation, v persist.View) host.Output {
	if m.From == "" || len(m.From) > messages.MaxNodeID {
		return host.Output{Reply: messages.Invalid("from", "is not a peer id")}
	}
	if err := m.NewKey.Check("key"); err != nil {
		return host.Output{Reply: err}
	}
	netw, err := c.resolve(v, m.NetworkID)
	if err != nil {
		return host.Output{Reply: err}
	}
	id := m.NewKey.Fingerprint
	if other, err := c.get(v, id); err == nil {
		return host.Output{Reply: fmt.Errorf("%w: the pushed swarm key is already saved as network %s (%q)", messages.ErrConflict, other.GetId(), other.GetName())}
	}
	if rec, err := c.getRotation(v, id); err == nil {
		if slices.Contains(rec.GetFrom(), m.From) || len(rec.GetFrom()) >= messages.MaxRotationSenders {
			return host.Output{Reply: messages.RotationHeld{Rotation: toRotation(rec, netw.GetName())}}
		}
		rec.From = append(rec.From, m.From)
		return host.Output{Writes: []persist.Write{c.putRotation(rec)}, Reply: messages.RotationHeld{Rotation: toRotation(rec, netw.GetName())}}
	}
	if c.pending >= messages.MaxPendingRotations {
		return host.Output{Reply: fmt.Errorf("%w: %d key rotations are waiting already; accept or refuse some first", messages.ErrConflict, messages.MaxPendingRotations)}
	}
	rec := &storev1.PendingRotation{Id: id, NetworkId: netw.GetId(), SealedKey: append([]byte(nil), m.NewKey.Sealed...), From: []string{m.From}, ReceivedMs: ms}
	c.pending++
	return host.Output{
		Writes: []persist.Write{c.putRotation(rec)},
		Events: []host.Event{{Type: "swarm_key_rotation_pending", Data: messages.NetworkChanged{NetworkID: netw.GetId(), Name: netw.GetName(), RotationID: id, From: m.From, Via: messages.ViaPeer}}},
		Reply:  messages.RotationHeld{Rotation: toRotation(rec, netw.GetName()), New: true},
	}
}

// listRotations answers ListPendingRotations, oldest first.
func (c *core) listRotations(v persist.View) messages.PendingRotations {
	recs := c.rotations(v)
	out := messages.PendingRotations{Rotations: make([]messages.PendingRotation, 0, len(recs))}
	for _, r := range recs {
		name := ""
		if netw, err := c.resolve(v, r.GetNetworkId()); err == nil {
			name = netw.GetName()
		}
		out.Rotations = append(out.Rotations, toRotation(r, name))
	}
	slices.SortFunc(out.Rotations, func(a, b messages.PendingRotation) int {
		return cmp.Or(cmp.Compare(a.ReceivedMs, b.ReceivedMs), strings.Compare(a.ID, b.ID))
	})
	return out
}

// accept applies a held rotation to its network (wherever earlier rotations moved it).
func (c *core) accept(ms int64, id string, v persist.View) host.Output {
	rot, err := c.getRotation(v, id)
	if err != nil {
		return host.Output{Reply: err}
	}
	rec, err := c.resolve(v, rot.GetNetworkId())
	if err != nil {
		return host.Output{Reply: fmt.Errorf("%w: refuse the rotation instead", err)}
	}
	from := ""
	if len(rot.GetFrom()) > 0 {
		from = rot.GetFrom()[0]
	}
	// rotateTo drops the held record, which has the new key's id.
	return c.rotateTo(ms, rec, messages.SealedKey{Fingerprint: rot.GetId(), Sealed: rot.GetSealedKey()}, from, v)
}

// refuse drops a held rotation.
func (c *core) refuse(id string, v persist.View) host.Output {
	rot, err := c.getRotation(v, id)
	if err != nil {
		return host.Output{Reply: err}
	}
	c.pending--
	return host.Output{
		Writes: []persist.Write{c.delRotation(id)},
		Events: []host.Event{{Type: "swarm_key_rotation_refused", Data: messages.NetworkChanged{NetworkID: rot.GetNetworkId(), RotationID: id, Via: messages.ViaAPI}}},
		Reply:  messages.RotationRefused{ID: id},
	}
}
