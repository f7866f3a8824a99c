package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/chat"
)

// startChat carries the rooms this node holds over mesh t (p2p/chat: gossip, gap repair,
// catch-up); a new mesh gets a new carrier. It returns nil when the rooms are not running.
func (d *daemon) startChat(t p2p.Transport, log *slog.Logger) *chat.Service {
	if d.rooms == nil {
		return nil
	}
	svc, err := chat.Start(chat.Config{Transport: t, Room: actorRooms{d: d}, Log: log})
	if err != nil {
		log.Error("chat carrier did not start: rooms stay local until the next mesh start", "err", err)
		return nil
	}
	return svc
}

// publishChat gossips an envelope this node wrote; with no mesh it stays local until peers
// catch up from this node.
func (g *meshGlue) publishChat(env messages.ChatEnvelope) {
	svc := g.chat.Load()
	if svc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := svc.Publish(ctx, env); err != nil {
		g.log.Debug("chat: publish", "room", env.RoomID, "err", err)
	}
}

// publishReceipt gossips this node's read receipt; offline it is simply not sent (receipts
// are best effort: the next one supersedes it).
func (g *meshGlue) publishReceipt(rc messages.ChatReceipt) {
	svc := g.chat.Load()
	if svc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := svc.PublishReceipt(ctx, rc); err != nil {
		g.log.Debug("chat: publish a read receipt", "room", rc.RoomID, "err", err)
	}
}

// syncChat makes the carrier hold exactly the rooms joined or relayed here, and catch up at
// once (a room joined from a share URL pulls its history now, not at the next round).
func (g *meshGlue) syncChat(messages.RoomMeta) {
	svc := g.chat.Load()
	if svc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), askLimit)
	defer cancel()
	ids, err := actorRooms{d: g.d}.Rooms(ctx)
	if err != nil {
		g.log.Warn("chat: list the rooms held here", "err", err)
		return
	}
	if err := svc.Sync(ids); err != nil {
		g.log.Warn("chat: carry the rooms held here", "err", err)
	}
	svc.Wake()
}

// actorRooms is p2p/chat's Room over the room actors. p2p/chat only names rooms it holds (its
// topics and the catch-up server's check come from Rooms), so no id a peer makes up spawns an
// actor; a room dropped since answers ErrNotFound, which p2p/chat reads as "not held".
type actorRooms struct{ d *daemon }

// Rooms lists the rooms joined or relayed here.
func (a actorRooms) Rooms(ctx context.Context) ([]string, error) {
	list, err := host.AskChild[messages.RoomList](ctx, a.d.node.Root, a.d.rooms.registry, messages.RegistryID, messages.ListRooms{}, askLimit)
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	ids := make([]string, 0, len(list.Rooms))
	for _, r := range list.Rooms {
		ids = append(ids, r.ID)
	}
	return ids, nil
}

// Receive stores envelopes a peer sent.
func (a actorRooms) Receive(ctx context.Context, room string, from p2p.PeerID, envs []messages.ChatEnvelope) (messages.ChatReceived, error) {
	return host.AskChild[messages.ChatReceived](ctx, a.d.node.Root, a.d.rooms.rooms, room, messages.ReceiveEnvelopes{From: string(from), Envelopes: envs}, askLimit)
}

// Since lists the envelopes a peer with heads lacks.
func (a actorRooms) Since(ctx context.Context, room string, heads map[string]uint64, limit int) (messages.ChatEnvelopes, error) {
	return host.AskChild[messages.ChatEnvelopes](ctx, a.d.node.Root, a.d.rooms.rooms, room, messages.ChatSince{Heads: heads, Limit: limit}, askLimit)
}

// Status is the room's counters and heads.
func (a actorRooms) Status(ctx context.Context, room string) (messages.RoomStatus, error) {
	return host.AskChild[messages.RoomStatus](ctx, a.d.node.Root, a.d.rooms.rooms, room, messages.GetRoomStatus{}, askLimit)
}

// Receipt records a member's read receipt.
func (a actorRooms) Receipt(ctx context.Context, room string, _ p2p.PeerID, rc messages.ChatReceipt) error {
	_, err := host.AskChild[messages.RoomStatus](ctx, a.d.node.Root, a.d.rooms.rooms, room, messages.ReceiveReceipt{Receipt: rc}, askLimit)
	return err
}
