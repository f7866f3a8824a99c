package network

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// The records under the entity's prefix (bucket persist.Networks, "networks/self/…"):
//
//	net/<id>     storev1.Network, id = the key's fingerprint
//	active       storev1.ActiveNetwork
//	moved/<id>   storev1.NetworkMoved: the id a rotated network has now
//	rot/<id>     storev1.PendingRotation, id = the new key's fingerprint
const (
	netPrefix   = "net/"
	activeKey   = "active"
	movedPrefix = "moved/"
	rotPrefix   = "rot/"
)

// maxMoveHops bounds how many rotations a lookup of an old id follows.
const maxMoveHops = 16

// Load builds the networks core of entity (messages.NetworkKind + "/" + messages.NetworkSelf):
// it counts the saved networks and held rotations and reads which network is active.
func Load(entity string, v persist.View) (host.Core, error) {
	c := &core{prefix: entity + "/"}
	v.Scan(persist.Networks, c.prefix+netPrefix, "", func(string, []byte) bool { c.count++; return true })
	v.Scan(persist.Networks, c.prefix+rotPrefix, "", func(string, []byte) bool { c.pending++; return true })
	if raw, ok := v.Get(persist.Networks, c.prefix+activeKey); ok {
		var rec storev1.ActiveNetwork
		if err := proto.Unmarshal(raw, &rec); err != nil {
			return nil, fmt.Errorf("network: decode the active network: %w", err)
		}
		c.chosen, c.active = true, rec.GetNetworkId()
	}
	return c, nil
}

// get reads network id; "network not found", saying where it went when its key was rotated.
func (c *core) get(v persist.View, id string) (*storev1.Network, error) {
	if id != "" {
		if raw, ok := v.Get(persist.Networks, c.prefix+netPrefix+id); ok {
			rec := &storev1.Network{}
			if err := proto.Unmarshal(raw, rec); err != nil {
				return nil, fmt.Errorf("network: decode %s: %w", id, err)
			}
			return rec, nil
		}
		if now, ok := c.successor(v, id); ok {
			return nil, fmt.Errorf("network %s %w: its swarm key was rotated; it is now network %s", id, messages.ErrNotFound, now)
		}
	}
	return nil, messages.NotFound("network")
}

// successor follows the moved records of id to the id its network has now, if it still exists.
func (c *core) successor(v persist.View, id string) (string, bool) {
	for range maxMoveHops {
		raw, ok := v.Get(persist.Networks, c.prefix+movedPrefix+id)
		if !ok {
			return "", false
		}
		var rec storev1.NetworkMoved
		if proto.Unmarshal(raw, &rec) != nil {
			return "", false
		}
		id = rec.GetNetworkId()
		if _, ok := v.Get(persist.Networks, c.prefix+netPrefix+id); ok {
			return id, true
		}
	}
	return "", false
}

// resolve reads network id, or the network it became through rotations.
func (c *core) resolve(v persist.View, id string) (*storev1.Network, error) {
	rec, err := c.get(v, id)
	if err == nil {
		return rec, nil
	}
	if now, ok := c.successor(v, id); ok {
		return c.get(v, now)
	}
	return nil, err
}

// all reads every saved network, in key (id) order; unreadable records are skipped.
func (c *core) all(v persist.View) []*storev1.Network {
	var out []*storev1.Network
	v.Scan(persist.Networks, c.prefix+netPrefix, "", func(_ string, raw []byte) bool {
		rec := &storev1.Network{}
		if proto.Unmarshal(raw, rec) == nil {
			out = append(out, rec)
		}
		return true
	})
	return out
}

// getRotation reads held rotation id; "rotation not found".
func (c *core) getRotation(v persist.View, id string) (*storev1.PendingRotation, error) {
	raw, ok := v.Get(persist.Networks, c.prefix+rotPrefix+id)
	if !ok || id == "" {
		return nil, messages.NotFound("rotation")
	}
	rec := &storev1.PendingRotation{}
	if err := proto.Unmarshal(raw, rec); err != nil {
		return nil, fmt.Errorf("network: decode rotation %s: %w", id, err)
	}
	return rec, nil
}

// rotations reads every held rotation, in key (id) order.
func (c *core) rotations(v persist.View) []*storev1.PendingRotation {
	var out []*storev1.PendingRotation
	v.Scan(persist.Networks, c.prefix+rotPrefix, "", func(_ string, raw []byte) bool {
		rec := &storev1.PendingRotation{}
		if proto.Unmarshal(raw, rec) == nil {
			out = append(out, rec)
		}
		return true
	})
	return out
}

func (c *core) putNet(rec *storev1.Network) persist.Write {
	return persist.Write{Bucket: persist.Networks, Key: c.prefix + netPrefix + rec.GetId(), Value: storev1.Marshal(rec)}
}

func (c *core) delNet(id string) persist.Write {
	return persist.Write{Bucket: persist.Networks, Key: c.prefix + netPrefix + id, Delete: true}
}

func (c *core) putActive(ms int64, id string) persist.Write {
	return persist.Write{Bucket: persist.Networks, Key: c.prefix + activeKey, Value: storev1.Marshal(&storev1.ActiveNetwork{NetworkId: id, UpdatedMs: ms})}
}

func (c *core) putMoved(ms int64, from, to string) persist.Write {
	return persist.Write{Bucket: persist.Networks, Key: c.prefix + movedPrefix + from, Value: storev1.Marshal(&storev1.NetworkMoved{NetworkId: to, MovedMs: ms})}
}

func (c *core) putRotation(rec *storev1.PendingRotation) persist.Write {
	return persist.Write{Bucket: persist.Networks, Key: c.prefix + rotPrefix + rec.GetId(), Value: storev1.Marshal(rec)}
}

func (c *core) delRotation(id string) persist.Write {
	return persist.Write{Bucket: persist.Networks, Key: c.prefix + rotPrefix + id, Delete: true}
}

// toNetwork is the reply form of a record.
func (c *core) toNetwork(r *storev1.Network) messages.Network {
	return messages.Network{
		ID: r.GetId(), Name: r.GetName(), Bootstrap: append([]string{}, r.GetBootstrap()...),
		Key:    messages.SealedKey{Fingerprint: r.GetId(), Sealed: append([]byte(nil), r.GetSealedKey()...)},
		Active: r.GetId() == c.active, Source: r.GetSource(), Declared: r.GetDeclared(),
		CreatedMs: r.GetCreatedMs(), UpdatedMs: r.GetUpdatedMs(), RotatedMs: r.GetRotatedMs(), PreviousID: r.GetPreviousId(),
	}
}

func toRotation(r *storev1.PendingRotation, networkName string) messages.PendingRotation {
	return messages.PendingRotation{
		ID: r.GetId(), NetworkID: r.GetNetworkId(), NetworkName: networkName,
		Key:  messages.SealedKey{Fingerprint: r.GetId(), Sealed: append([]byte(nil), r.GetSealedKey()...)},
		From: append([]string{}, r.GetFrom()...), ReceivedMs: r.GetReceivedMs(),
	}
}
