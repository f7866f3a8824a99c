package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/room"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/stream"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
)

// roomsGlue joins the rooms' actors, their REST surface and the mesh: it hands every message
// this node writes to publish (gossip), tells joined to start carrying a room a node now holds,
// and dials the peers a share URL names. publish and joined are set before the API serves and
// may stay nil (no mesh: the messages stay local until catch-up).
type roomsGlue struct {
	d        *daemon
	api      *api.Rooms
	registry *host.Manager // rooms/registry
	rooms    *host.Manager // room/<id>
	// publish sends an envelope this node wrote to the room's other holders; nil: none.
	publish func(messages.ChatEnvelope)
	// joined is told about a room this node now holds (joined or relayed); nil: nothing to do.
	joined func(meta messages.RoomMeta)
	// read sends this node's read receipt to the room's other members; nil: none.
	read func(rc messages.ChatReceipt)
}

// startRooms registers the room kinds, builds the rooms routes and re-pins the attachments
// the rooms hold. It runs after startVaults: attachments share the vaults' block store, pins
// and collector.
func (d *daemon) startRooms() error {
	registry, err := d.node.Register(messages.RoomsKind, room.LoadRegistry)
	if err != nil {
		return err
	}
	rooms, err := d.node.Register(messages.RoomKind, room.Load(room.Deps{Unseal: d.keys.Open, NodeID: d.peerID.String(),
		Sign: room.Signer(d.priv), Verify: room.VerifyPeerSig}))
	if err != nil {
		return err
	}
	g := &roomsGlue{d: d, registry: registry, rooms: rooms}
	g.api = &api.Rooms{Actors: d.system.Actors, Registry: registry, Room: rooms, Sealer: d.keys, NodeID: d.peerID.String(),
		Files: d.vaults.Files, Peers: d.meshAddrs, Joined: g.onJoined, Sent: g.onSent, Read: g.onRead}
	g.api.Stream = stream.RoomSocket(stream.RoomConfig{Keepalive: d.cfg.Events.Keepalive.Std(), Find: g.api.FindMessage,
		Log: d.log.With("subsystem", "rooms")}, d.events)
	d.rooms = g
	go g.pinAttachments(context.Background())
	go g.resumePurges(context.Background())
	return nil
}

// meshAddrs is where this node is reachable while its mesh runs (share URLs' peers).
func (d *daemon) meshAddrs() []string {
	if d.mesh == nil {
		return nil
	}
	if st := d.mesh.State(); st.State == api.MeshConnected {
		return st.ListenAddrs
	}
	return nil
}

// onSent publishes a message this node wrote.
func (g *roomsGlue) onSent(sent messages.ChatSent) {
	if g.publish != nil {
		g.publish(sent.Envelope)
	}
}

// onRead gossips this node's read receipt.
func (g *roomsGlue) onRead(rc messages.ChatReceipt) {
	if g.read != nil {
		g.read(rc)
	}
}

// onJoined starts carrying a room this node now holds and dials the peers its share URL named
// (in the background: the join has answered).
func (g *roomsGlue) onJoined(meta messages.RoomMeta, peers []string) {
	if g.joined != nil {
		g.joined(meta)
	}
	if len(peers) == 0 || g.d.mesh == nil {
		return
	}
	t := g.d.mesh.transport()
	if t == nil {
		return
	}
	go dialPeers(t, peers, g.d.log.With("subsystem", "rooms", "room", meta.ID))
}

// dialPeers dials each address that names a peer not yet connected.
func dialPeers(t p2p.Transport, addrs []string, log interface{ Debug(string, ...any) }) {
	for _, a := range addrs {
		i := strings.LastIndex(a, "/p2p/")
		if i < 0 || t.Self() == p2p.PeerID(a[i+len("/p2p/"):]) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := t.Dial(ctx, a)
		cancel()
		log.Debug("dialled a room holder", "addr", a, "err", err)
	}
}

// post writes a text message to a room as this node, under a display name (inbound webhooks).
func (g *roomsGlue) post(ctx context.Context, roomID, sender, text string) error {
	req := api.TextRequest{Text: text}
	if err := req.Check(); err != nil {
		return err
	}
	if len(sender) > messages.MaxChatLabel {
		return messages.Invalid("username", "is %d bytes; at most %d", len(sender), messages.MaxChatLabel)
	}
	_, err := g.api.Send(ctx, roomID, messages.ChatBody{Type: messages.ChatTypeText, Text: text, Username: sender})
	return err
}

// pinAttachments pins the blocks of every attachment of every joined room, so the collector's
// sweep (whose first run is a gc_interval after start) never takes them: no vault references
// them. Failures are logged; the blocks of a room it could not read stay unpinned until the
// next start.
func (g *roomsGlue) pinAttachments(ctx context.Context) {
	a, pins := g.d.system.Actors, g.d.pins
	if pins == nil {
		return
	}
	list, err := host.AskChild[messages.RoomList](ctx, a.Root, g.registry, messages.RegistryID, messages.ListRooms{}, a.Limit)
	if err != nil {
		g.d.log.Warn("rooms: list rooms to pin attachments", "err", err)
		return
	}
	n := 0
	for _, m := range list.Rooms {
		if m.Relay {
			continue
		}
		got, err := g.pinRoom(ctx, m.ID)
		n += got
		if err != nil {
			g.d.log.Warn("rooms: pin attachments", "room", m.ID, "err", err)
		}
	}
	if n > 0 {
		g.d.log.Info("rooms: attachment blocks pinned", "blocks", n)
	}
}

// pinRoom pins the blocks of one room's attachments, a page of its attachment index at a time
// (no message is read but those carrying attachments); it reports how many.
func (g *roomsGlue) pinRoom(ctx context.Context, id string) (int, error) {
	a, n, after := g.d.system.Actors, 0, ""
	for {
		page, err := host.AskChild[messages.ChatFiles](ctx, a.Root, g.rooms, id, messages.ListChatFiles{After: after}, a.Limit)
		if err != nil {
			return n, fmt.Errorf("list attachments: %w", err)
		}
		for _, f := range page.Files {
			for _, b := range f.Blocks {
				g.d.pins.Pin(b.Addr)
				n++
			}
		}
		if page.Next == "" {
			return n, nil
		}
		after = page.Next
	}
}

// resumePurges restarts the purge of every dropped relayed room whose records a stop left
// behind: nothing else would start its actor, and its id stays refused until it is purged.
func (g *roomsGlue) resumePurges(ctx context.Context) {
	a := g.d.system.Actors
	list, err := host.AskChild[messages.RoomList](ctx, a.Root, g.registry, messages.RegistryID, messages.ListPurging{}, a.Limit)
	if err != nil {
		g.d.log.Warn("rooms: list the purges to resume", "err", err)
		return
	}
	for _, r := range list.Rooms {
		if _, err := host.AskChild[messages.RoomPurged](ctx, a.Root, g.rooms, r.ID, messages.PurgeRoom{}, a.Limit); err != nil {
			g.d.log.Warn("rooms: resume the purge of a dropped relay", "room", r.ID, "err", err)
			continue
		}
		g.d.log.Info("rooms: resumed the purge of a dropped relay", "room", r.ID)
	}
}
