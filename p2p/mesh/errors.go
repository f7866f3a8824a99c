package mesh

import "errors"

var (
	// ErrClosed is returned by a Mesh, topic or subscription used after Close.
	ErrClosed = errors.New("mesh: closed")
	// ErrUnsupportedAddr is wrapped by Start for a listen address that is not TCP: go-libp2p
	// drops QUIC, WebTransport and WebRTC under a swarm key.
	ErrUnsupportedAddr = errors.New("mesh: unsupported listen address")
	// ErrUnknownPeer is wrapped by OpenStream for a peer that is not connected and has no known
	// address: dial it first (Dial, bootstrap, mDNS).
	ErrUnknownPeer = errors.New("mesh: unknown peer")
	// ErrTopicJoined is returned by Join for a topic already joined and not yet closed.
	ErrTopicJoined = errors.New("mesh: topic already joined")
	// ErrBadAddr is wrapped for a peer address that is not a multiaddr ending in /p2p/<peer id>.
	ErrBadAddr = errors.New("mesh: bad peer address")
)
