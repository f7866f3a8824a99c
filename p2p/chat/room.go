package chat

import (
	"context"
	"errors"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
)

// Room is what the package needs from the room actors (messages/room.go commands, which the
// daemon asks with a deadline). An error wrapping ErrNoRoom or messages.ErrNotFound means the
// room is not held here.
type Room interface {
	// Receive stores envelopes a peer sent (ReceiveEnvelopes → ChatReceived).
	Receive(ctx context.Context, room string, from p2p.PeerID, envs []messages.ChatEnvelope) (messages.ChatReceived, error)
	// Since lists the envelopes a peer with heads lacks, in (sender, seq) order, at most limit
	// (ChatSince → ChatEnvelopes).
	Since(ctx context.Context, room string, heads map[string]uint64, limit int) (messages.ChatEnvelopes, error)
	// Status is the room's counters and heads (GetRoomStatus → RoomStatus).
	Status(ctx context.Context, room string) (messages.RoomStatus, error)
	// Rooms lists the rooms joined or relayed here (ListRooms, every id); on an error the
	// round keeps the rooms it holds.
	Rooms(ctx context.Context) ([]string, error)
	// Receipt records a member's read receipt (ReceiveReceipt); receipts are best effort.
	Receipt(ctx context.Context, room string, from p2p.PeerID, rc messages.ChatReceipt) error
}

// notHeld reports an error that means the room is not held.
func notHeld(err error) bool {
	return errors.Is(err, ErrNoRoom) || errors.Is(err, messages.ErrNotFound)
}
