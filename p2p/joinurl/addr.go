package joinurl

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// parsePeerAddr parses a bootstrap address, which must end in /p2p/<peer id>; it returns the
// address in canonical form and its peer id.
func parsePeerAddr(s string) (string, peer.ID, error) {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return "", "", fmt.Errorf("not a multiaddr: %w", err)
	}
	transport, last := ma.SplitLast(m)
	if last == nil || last.Code() != ma.P_P2P {
		return "", "", errors.New("does not end in /p2p/<peer id>")
	}
	id, err := peer.IDFromBytes(last.RawValue())
	if err != nil {
		return "", "", fmt.Errorf("/p2p/ holds no valid peer id: %w", err)
	}
	if err := checkTransport(transport); err != nil {
		return "", "", err
	}
	return m.String(), id, nil
}

// parseNodeAddr parses one address of node id: either a transport address, to which
// /p2p/<id> is appended, or one already ending in /p2p/<id>.
func parseNodeAddr(s string, id peer.ID) (string, error) {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return "", fmt.Errorf("not a multiaddr: %w", err)
	}
	transport, last := ma.SplitLast(m)
	if last != nil && last.Code() == ma.P_P2P {
		got, err := peer.IDFromBytes(last.RawValue())
		if err != nil {
			return "", fmt.Errorf("/p2p/ holds no valid peer id: %w", err)
		}
		if got != id {
			return "", fmt.Errorf("ends in /p2p/%s, but the node's id is %s", got, id)
		}
	} else {
		transport = m
	}
	if err := checkTransport(transport); err != nil {
		return "", err
	}
	return withPeer(transport, id)
}

// withPeer appends /p2p/<id> to a transport address, in canonical form.
func withPeer(transport ma.Multiaddr, id peer.ID) (string, error) {
	p2p, err := ma.NewComponent("p2p", id.String())
	if err != nil {
		return "", fmt.Errorf("peer id %s: %w", id, err)
	}
	return transport.AppendComponent(p2p).String(), nil
}

// checkTransport refuses an address that cannot be dialled: none at all, or 0.0.0.0 / ::.
func checkTransport(t ma.Multiaddr) error {
	if len(t) == 0 {
		return errors.New("has no address before /p2p/")
	}
	first := t[0]
	if c := first.Code(); c == ma.P_IP4 || c == ma.P_IP6 {
		if ip, err := netip.ParseAddr(first.Value()); err == nil && ip.IsUnspecified() {
			return fmt.Errorf("%s is the unspecified address, not one a peer can dial", ip)
		}
	}
	return nil
}
