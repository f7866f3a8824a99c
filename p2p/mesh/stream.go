package mesh

import (
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/meshhold/meshhold/p2p"
)

// stream adapts a libp2p stream to p2p.Stream.
type stream struct{ s network.Stream }

var _ p2p.Stream = stream{}

func (s stream) Read(b []byte) (int, error)    { return s.s.Read(b) }
func (s stream) Write(b []byte) (int, error)   { return s.s.Write(b) }
func (s stream) Close() error                  { return s.s.Close() }
func (s stream) CloseWrite() error             { return s.s.CloseWrite() }
func (s stream) Reset() error                  { return s.s.Reset() }
func (s stream) SetDeadline(t time.Time) error { return s.s.SetDeadline(t) }
func (s stream) Peer() p2p.PeerID              { return p2p.PeerID(s.s.Conn().RemotePeer().String()) }
func (s stream) Protocol() string              { return string(s.s.Protocol()) }
func (s stream) String() string                { return fmt.Sprintf("%s@%s", s.Protocol(), s.Peer()) }

// SetStreamHandler serves protocol with h, on a new goroutine per stream; h owns the stream and
// must close or reset it.
func (m *Mesh) SetStreamHandler(proto string, h p2p.StreamHandler) {
	m.h.SetStreamHandler(protocol.ID(proto), func(s network.Stream) { h(stream{s}) })
}

// RemoveStreamHandler stops serving protocol; streams already open go on.
func (m *Mesh) RemoveStreamHandler(proto string) {
	m.h.RemoveStreamHandler(protocol.ID(proto))
}

// OpenStream opens a stream to peer on protocol, dialling the peer's known addresses if it is
// not connected. A peer neither connected nor in the peerstore fails at once with
// ErrUnknownPeer; a ctx without deadline gets Config.DialTimeout for the dial and the protocol
// negotiation. When the peer is known to serve protocol the negotiation is lazy: a peer that
// stopped serving it shows as an error on the first Read.
func (m *Mesh) OpenStream(ctx context.Context, to p2p.PeerID, proto string) (p2p.Stream, error) {
	if m.isClosed() {
		return nil, ErrClosed
	}
	id, err := peer.Decode(string(to))
	if err != nil {
		return nil, fmt.Errorf("mesh: open %s: %q is not a peer id: %w", proto, to, err)
	}
	if id == m.self {
		return nil, fmt.Errorf("mesh: open %s: %s is this node", proto, to)
	}
	if m.h.Network().Connectedness(id) != network.Connected && len(m.h.Peerstore().Addrs(id)) == 0 {
		return nil, fmt.Errorf("mesh: open %s to %s: %w: not connected and no known address", proto, to, ErrUnknownPeer)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.cfg.DialTimeout)
		defer cancel()
	}
	s, err := m.h.NewStream(ctx, id, protocol.ID(proto))
	if err != nil {
		return nil, fmt.Errorf("mesh: open %s to %s: %w", proto, to, err)
	}
	return stream{s}, nil
}
