package joinurl

import (
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Node is what a meshhold://node/v1 URL carries: one node's identity and where to reach it.
// It holds no secret.
type Node struct {
	ID    string   `json:"id"`    // peer id, 12D3KooW…
	Name  string   `json:"name"`  // display name; may be empty
	Addrs []string `json:"addrs"` // multiaddrs, each ending in /p2p/<ID> (ReachableAddrs gives them)
}

// URL returns the share URL. Addresses ending in /p2p/<ID> are written without that suffix,
// which ParseNode puts back, to keep the URL short.
func (n Node) URL() string {
	u := newURL(KindNode)
	u.add("id", n.ID)
	if n.Name != "" {
		u.add("name", n.Name)
	}
	id, _ := peer.Decode(n.ID)
	for _, a := range n.Addrs {
		u.add("addr", compact(a, id))
	}
	return u.String()
}

// compact drops a trailing /p2p/<id> from a, leaving any other address as it is.
func compact(a string, id peer.ID) string {
	m, err := ma.NewMultiaddr(a)
	if err != nil || id == "" {
		return a
	}
	transport, last := ma.SplitLast(m)
	if last == nil || last.Code() != ma.P_P2P || len(transport) == 0 {
		return a
	}
	if got, err := peer.IDFromBytes(last.RawValue()); err != nil || got != id {
		return a
	}
	return transport.String()
}

// Validate checks the id, the name, every address and the length of the URL.
func (n Node) Validate() error {
	id, err := parseID(n.ID, true)
	if err != nil {
		return err
	}
	if err := checkName("name", n.Name); err != nil {
		return err
	}
	for i, a := range n.Addrs {
		if _, err := parseNodeAddr(a, id); err != nil {
			return invalid("addr[%d] %q: %v", i, clip(a), err)
		}
	}
	if l := len(n.URL()); l > MaxLen {
		return invalid("URL would be %d bytes, at most %d; share fewer addresses", l, MaxLen)
	}
	return nil
}

// ParseNode reads a meshhold://node/v1 URL; surrounding whitespace is ignored, and every
// address comes back in canonical form ending in /p2p/<ID>.
func ParseNode(s string) (Node, error) {
	p, err := split(s)
	if err != nil {
		return Node{}, err
	}
	if err := p.wantKind(KindNode); err != nil {
		return Node{}, err
	}
	rawID, ok, err := p.single("id")
	if err != nil {
		return Node{}, err
	}
	id, err := parseID(rawID, ok)
	if err != nil {
		return Node{}, err
	}
	name, _, err := p.single("name")
	if err != nil {
		return Node{}, err
	}
	if err := checkName("name", name); err != nil {
		return Node{}, err
	}
	n := Node{ID: id.String(), Name: name}
	for i, raw := range p.values["addr"] {
		addr, err := parseNodeAddr(raw, id)
		if err != nil {
			return Node{}, invalid("addr[%d] %q: %v", i, clip(raw), err)
		}
		n.Addrs = append(n.Addrs, addr)
	}
	if l := len(n.URL()); l > MaxLen { // "+" and needless escapes come back longer
		return Node{}, invalid("written back in canonical form it would be %d bytes, at most %d", l, MaxLen)
	}
	return n, nil
}

// parseID reads the node's peer id.
func parseID(s string, given bool) (peer.ID, error) {
	if !given || s == "" {
		return "", invalid("missing id (the node's peer id, 12D3KooW…)")
	}
	id, err := peer.Decode(s)
	if err != nil {
		return "", invalid("id %q is not a peer id: %v", clip(s), err)
	}
	return id, nil
}

// String returns the URL: a Node holds no secret.
func (n Node) String() string { return n.URL() }

// PeerAddrs returns the bootstrap multiaddrs of either kind of share URL: a join URL's peers
// or a node URL's addresses (for POST /networks/:id/peers and PUT …/bootstrap-invite).
func PeerAddrs(s string) ([]string, error) {
	p, err := split(s)
	if err != nil {
		return nil, err
	}
	if p.kind == KindNode {
		n, err := ParseNode(s)
		return n.Addrs, err
	}
	j, err := ParseJoin(s)
	return j.Peers, err
}
