// Package chat carries chat envelopes between the nodes that hold a room: gossip on one topic
// per room (meshhold/chat/<room_id>) for live delivery, and catch-up streams on
// /meshhold/chat/1.0 for everything gossip lost — a gap a received envelope reveals, a peer
// that connects, and an anti-entropy round every Interval against each holder. It moves bytes;
// the room actors check, order and store them (the Room interface), so a relay that holds a
// room without its key carries it like any member.
//
// Gossip drops messages under load by design, so delivery rests on the per-sender sequence
// numbers: a node compares its heads (sender → highest contiguous seq) with a peer's and pulls
// what it lacks, in (sender, seq) order, pages bounded in envelopes and frames bounded in bytes.
//
// docs/chat-protocol.md describes the frames, the triggers and the limits.
package chat

import (
	"errors"

	"github.com/meshhold/meshhold/p2p/wire"
)

// Protocol is the catch-up protocol's id.
const Protocol = wire.Chat

// TopicPrefix names a room's gossip topic: TopicPrefix + room id.
const TopicPrefix = "meshhold/chat/"

// Topic is room's gossip topic.
func Topic(room string) string { return TopicPrefix + room }

// Protocol limits.
const (
	// MaxFrame bounds every frame, both ways: a request or a heads answer (a room id and the
	// heads of a few thousand senders), or one envelope (at most messages.MaxChatBody sealed
	// bytes plus a header and a signature under 1 KiB).
	MaxFrame = 256 << 10
	// MaxPull bounds the envelopes one catch-up stream carries; the client asks again, from
	// its new heads, while the server says there is more.
	MaxPull = 10_000
)

// ErrNoRoom reports a room this node neither joined nor relays: a server refuses it (the
// client then knows the peer is not a holder), and a Room implementation may answer it.
var ErrNoRoom = errors.New("chat: this node does not hold the room")

// ErrBusy reports a server already answering as many catch-up streams as it allows.
var ErrBusy = errors.New("chat: peer busy")
