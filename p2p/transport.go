// Package p2p is the seam between actors and the mesh: the Transport interface (streams by
// protocol, gossip topics, peer events). The mesh package implements it over libp2p with the
// swarm key; memnet implements it in memory, with seeded faults, for the simulator.
package p2p

import (
	"context"
	"io"
	"time"
)

// PeerID is a libp2p peer id in its text form (12D3KooW…).
type PeerID string

// Stream is one bidirectional byte stream to a peer, for one protocol.
type Stream interface {
	io.ReadWriteCloser
	// CloseWrite ends our direction; the peer reads EOF.
	CloseWrite() error
	// Reset aborts both directions.
	Reset() error
	SetDeadline(t time.Time) error
	Peer() PeerID
	Protocol() string
}

// StreamHandler serves streams a peer opened on one protocol; it owns and closes the stream.
type StreamHandler func(Stream)

// Message is one gossip message received on a topic.
type Message struct {
	Topic string
	From  PeerID
	Data  []byte
}

// Topic is a joined gossip topic.
type Topic interface {
	// Publish sends data to the topic's subscribers across the mesh.
	Publish(ctx context.Context, data []byte) error
	// Subscribe calls fn for each message from other peers until cancel is called.
	Subscribe(fn func(Message)) (cancel func(), err error)
	// Close leaves the topic.
	Close() error
}

// PeerEvent reports a peer connecting or disconnecting.
type PeerEvent struct {
	Peer      PeerID
	Connected bool
}

// Transport is what actors use to reach other nodes; bytes move through streams, never
// through mailboxes.
type Transport interface {
	// Self is this node's peer id.
	Self() PeerID
	// SetStreamHandler serves protocol (e.g. /meshhold/blocks/1.0) with h.
	SetStreamHandler(protocol string, h StreamHandler)
	// RemoveStreamHandler stops serving protocol.
	RemoveStreamHandler(protocol string)
	// OpenStream opens a stream to peer on protocol.
	OpenStream(ctx context.Context, peer PeerID, protocol string) (Stream, error)
	// Join joins a gossip topic (e.g. meshhold/vault/<id>).
	Join(topic string) (Topic, error)
	// Peers lists the peers connected now.
	Peers() []PeerID
	// WatchPeers calls fn for every connect and disconnect until cancel is called.
	WatchPeers(fn func(PeerEvent)) (cancel func())
	// Addrs lists where other nodes can dial this one, each ending in /p2p/<peer id>
	// (/ip4/192.0.2.7/tcp/7777/p2p/12D3KooW…; memnet: /memnet/<id>/p2p/<id>).
	Addrs() []string
	// Dial connects to the node at addr (a multiaddr ending in /p2p/<peer id>) and returns its id.
	Dial(ctx context.Context, addr string) (PeerID, error)
	// RTT is the latest round-trip estimate to a connected peer; 0 when unknown.
	RTT(peer PeerID) time.Duration
	// Traffic is the total payload bytes this node received and sent since it started, streams
	// and gossip together (the throughput ring samples it).
	Traffic() (in, out uint64)
	// Close leaves every topic and closes every connection.
	Close() error
}
