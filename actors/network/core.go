// Package network is the node's saved networks actor (entity networks/self): each network a
// swarm key and the peers to dial first, at most one of them active, and the key rotations
// peers pushed that wait for the operator. A network's id is its key's fingerprint, so the same
// key saved twice is the same network and every node calls it by the same id. Keys arrive
// sealed (SealKey) and leave sealed (OpenKey): the core never sees one. Starting, stopping and
// switching the mesh is the daemon's; this actor only records what was chosen.
package network

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// core keeps the counts it enforces limits with and the active network; networks are read from
// disk.
type core struct {
	prefix  string // "networks/self/"
	count   int    // saved networks
	pending int    // held rotations
	active  string // the active network's id; "" when none
	chosen  bool   // an active record exists: with active "", the operator chose offline
}

func (c *core) Step(now time.Time, msg any, v persist.View) host.Output {
	ms := now.UnixMilli()
	switch m := msg.(type) {
	case host.Recovered:
		return host.Output{}
	case messages.ListNetworks:
		return host.Output{Reply: c.list(v)}
	case messages.GetNetwork:
		rec, err := c.get(v, m.ID)
		if err != nil {
			return host.Output{Reply: err}
		}
		return host.Output{Reply: c.toNetwork(rec)}
	case messages.AddNetwork:
		return c.add(ms, m.Name, m.Key, m.Bootstrap, messages.ViaJoin, v)
	case messages.CreateNetwork:
		return c.add(ms, m.Name, m.Key, nil, messages.ViaCreate, v)
	case messages.ImportDeclared:
		return c.importDeclared(ms, m, v)
	case messages.DeleteNetwork:
		return c.delete(ms, m, v)
	case messages.SetActive:
		return c.setActive(ms, m.ID, messages.ViaAPI, v)
	case messages.ClearActive:
		return c.clearActive(ms)
	case messages.AddPeers:
		return c.bootstrap(ms, m.ID, m.Addrs, true, v)
	case messages.SetBootstrap:
		return c.bootstrap(ms, m.ID, m.Addrs, false, v)
	case messages.RotateKey:
		return c.rotate(ms, m, v)
	case messages.HoldRotation:
		return c.hold(ms, m, v)
	case messages.ListPendingRotations:
		return host.Output{Reply: c.listRotations(v)}
	case messages.AcceptRotation:
		return c.accept(ms, m.ID, v)
	case messages.RefuseRotation:
		return c.refuse(m.ID, v)
	}
	return host.Output{Reply: fmt.Errorf("network: unknown command %T", msg)}
}

// list answers ListNetworks: by name (case folded), then id.
func (c *core) list(v persist.View) messages.NetworkList {
	recs := c.all(v)
	out := messages.NetworkList{Networks: make([]messages.Network, 0, len(recs)), ActiveID: c.active, Offline: c.chosen && c.active == ""}
	for _, r := range recs {
		out.Networks = append(out.Networks, c.toNetwork(r))
	}
	slices.SortFunc(out.Networks, func(a, b messages.Network) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.ID, b.ID))
	})
	return out
}

// add saves a network whose key is not saved yet (AddNetwork, CreateNetwork).
func (c *core) add(ms int64, name string, key messages.SealedKey, bootstrap []string, via string, v persist.View) host.Output {
	rec, err := c.newRecord(ms, name, key, bootstrap, via, v)
	if err != nil {
		return host.Output{Reply: err}
	}
	c.count++
	return host.Output{
		Writes: []persist.Write{c.putNet(rec)},
		Events: []host.Event{{Type: "network_added", Data: messages.NetworkChanged{NetworkID: rec.Id, Name: rec.Name, Via: via}}},
		Reply:  messages.NetworkAdded{Network: c.toNetwork(rec)},
	}
}

// newRecord checks a new network and builds its record; ErrConflict when its key is saved.
func (c *core) newRecord(ms int64, name string, key messages.SealedKey, bootstrap []string, via string, v persist.View) (*storev1.Network, error) {
	if err := messages.CheckNetworkName("name", name); err != nil {
		return nil, err
	}
	if err := key.Check("key"); err != nil {
		return nil, err
	}
	addrs, err := cleanAddrs("bootstrap", bootstrap)
	if err != nil {
		return nil, err
	}
	if old, err := c.get(v, key.Fingerprint); err == nil {
		return nil, fmt.Errorf("%w: this swarm key is already saved as network %s (%q)", messages.ErrConflict, old.GetId(), old.GetName())
	}
	if c.count >= messages.MaxNetworks {
		return nil, fmt.Errorf("%w: %d networks are saved, the most this node keeps; delete one first", messages.ErrConflict, messages.MaxNetworks)
	}
	if strings.TrimSpace(name) == "" {
		name = "Network " + key.Fingerprint[:8]
	}
	return &storev1.Network{
		Id: key.Fingerprint, Name: name, SealedKey: append([]byte(nil), key.Sealed...), Bootstrap: addrs,
		CreatedMs: ms, UpdatedMs: ms, Source: via, Declared: via == messages.ViaConfig,
	}, nil
}

// importDeclared saves or refreshes the network config.yaml declares, and activates it when no
// network is active, unless the operator chose offline and the network is not new.
func (c *core) importDeclared(ms int64, m messages.ImportDeclared, v persist.View) host.Output {
	if err := m.Key.Check("swarm_key"); err != nil {
		return host.Output{Reply: err}
	}
	addrs, err := cleanAddrs("bootstrap_peers", m.Bootstrap)
	if err != nil {
		return host.Output{Reply: err}
	}
	var out host.Output
	reply := messages.NetworkImported{}
	rec, err := c.get(v, m.Key.Fingerprint)
	switch {
	case err == nil:
		changed := !slices.Equal(rec.GetBootstrap(), addrs)
		if changed {
			rec.Bootstrap, rec.UpdatedMs = addrs, ms
			out.Events = append(out.Events, host.Event{Type: "network_updated", Data: messages.NetworkChanged{NetworkID: rec.Id, Name: rec.Name, Fields: []string{"bootstrap"}, Via: messages.ViaConfig}})
		}
		if changed || !rec.GetDeclared() {
			rec.Declared = true
			out.Writes = append(out.Writes, c.putNet(rec))
		}
	default:
		if now, ok := c.successor(v, m.Key.Fingerprint); ok { // config.yaml still has a rotated key
			if rec, err = c.get(v, now); err != nil {
				return host.Output{Reply: err}
			}
			reply.Moved = true
			break
		}
		if rec, err = c.newRecord(ms, m.Name, m.Key, addrs, messages.ViaConfig, v); err != nil {
			return host.Output{Reply: err}
		}
		c.count++
		reply.Created = true
		out.Writes = append(out.Writes, c.putNet(rec))
		out.Events = append(out.Events, host.Event{Type: "network_added", Data: messages.NetworkChanged{NetworkID: rec.Id, Name: rec.Name, Via: messages.ViaConfig}})
	}
	if !reply.Moved {
		for _, other := range c.all(v) { // config.yaml declares one key: the others are no longer declared
			if other.GetId() != rec.GetId() && other.GetDeclared() {
				other.Declared = false
				out.Writes = append(out.Writes, c.putNet(other))
			}
		}
	}
	if c.active == "" && (!c.chosen || reply.Created) {
		act := c.activate(ms, rec, messages.ViaConfig)
		out.Writes, out.Events = append(out.Writes, act.Writes...), append(out.Events, act.Events...)
		reply.Activated = true
	}
	reply.Network = c.toNetwork(rec)
	out.Reply = reply
	return out
}

// delete forgets a network and the rotations held for it; the active one only while not
// connected, leaving the node offline.
func (c *core) delete(ms int64, m messages.DeleteNetwork, v persist.View) host.Output {
	rec, err := c.get(v, m.ID)
	if err != nil {
		return host.Output{Reply: err}
	}
	wasActive := rec.GetId() == c.active
	if wasActive && m.Connected {
		return host.Output{Reply: fmt.Errorf("%w: network %s is active and connected; disconnect (POST /networks/disconnect) or switch to another network first", messages.ErrConflict, rec.GetId())}
	}
	out := host.Output{Writes: []persist.Write{c.delNet(rec.GetId())}}
	for _, r := range c.rotations(v) {
		if target, err := c.resolve(v, r.GetNetworkId()); err == nil && target.GetId() == rec.GetId() {
			out.Writes = append(out.Writes, c.delRotation(r.GetId()))
			c.pending--
		}
	}
	c.count--
	out.Events = []host.Event{{Type: "network_removed", Data: messages.NetworkChanged{NetworkID: rec.GetId(), Name: rec.GetName(), Via: messages.ViaAPI}}}
	if wasActive {
		out.Writes = append(out.Writes, c.putActive(ms, ""))
		c.active, c.chosen = "", true
		out.Events = append(out.Events, host.Event{Type: "network_deactivated", Data: messages.NetworkChanged{NetworkID: rec.GetId(), Via: messages.ViaAPI}})
	}
	out.Reply = messages.NetworkDeleted{ID: rec.GetId(), WasActive: wasActive}
	return out
}

// setActive makes network id the active one; choosing the active one again changes nothing.
func (c *core) setActive(ms int64, id, via string, v persist.View) host.Output {
	rec, err := c.get(v, id)
	if err != nil {
		return host.Output{Reply: err}
	}
	if rec.GetId() == c.active {
		return host.Output{Reply: messages.NetworkActivated{Network: c.toNetwork(rec), PreviousID: c.active}}
	}
	return c.activate(ms, rec, via)
}

// activate records rec as the active network.
func (c *core) activate(ms int64, rec *storev1.Network, via string) host.Output {
	prev := c.active
	c.active, c.chosen = rec.GetId(), true
	return host.Output{
		Writes: []persist.Write{c.putActive(ms, rec.GetId())},
		Events: []host.Event{{Type: "network_activated", Data: messages.NetworkChanged{NetworkID: rec.GetId(), Name: rec.GetName(), Via: via, PreviousID: prev}}},
		Reply:  messages.NetworkActivated{Network: c.toNetwork(rec), PreviousID: prev},
	}
}

// clearActive leaves the active network and remembers the choice to be offline.
func (c *core) clearActive(ms int64) host.Output {
	prev := c.active
	if prev == "" && c.chosen {
		return host.Output{Reply: messages.NetworkDeactivated{}}
	}
	c.active, c.chosen = "", true
	out := host.Output{Writes: []persist.Write{c.putActive(ms, "")}, Reply: messages.NetworkDeactivated{PreviousID: prev}}
	if prev != "" {
		out.Events = []host.Event{{Type: "network_deactivated", Data: messages.NetworkChanged{NetworkID: prev, Via: messages.ViaAPI}}}
	}
	return out
}
