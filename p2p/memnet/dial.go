package memnet

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// Addrs is the node's one address, /memnet/<id>/p2p/<id>.
func (nd *node) Addrs() []string {
	return []string{"/memnet/" + string(nd.id) + "/p2p/" + string(nd.id)}
}

// Dial links this node to the node named by addr's /p2p/ part, as Network.Connect does.
func (nd *node) Dial(ctx context.Context, addr string) (p2p.PeerID, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	i := strings.LastIndex(addr, "/p2p/")
	if i < 0 || i+len("/p2p/") == len(addr) {
		return "", fmt.Errorf("memnet: dial %q: want an address ending in /p2p/<peer id>", addr)
	}
	peer := p2p.PeerID(addr[i+len("/p2p/"):])
	return peer, nd.net.Connect(nd.id, peer)
}

// RTT is twice the configured one-way latency (the delay plus half the jitter) while linked.
func (nd *node) RTT(peer p2p.PeerID) time.Duration {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd.dead || n.linkOf(nd.id, peer) == nil {
		return 0
	}
	return 2 * (n.faults.Delay + n.faults.Jitter/2)
}

// Traffic is the payload bytes sent to and by this node id (across restarts), counted when sent.
func (nd *node) Traffic() (in, out uint64) {
	n := nd.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if t := n.traffic[nd.id]; t != nil {
		return t[0], t[1]
	}
	return 0, 0
}

// count notes size payload bytes from → to; the caller holds n.mu.
func (n *Network) count(from, to p2p.PeerID, size int) {
	for _, id := range []p2p.PeerID{from, to} {
		if n.traffic[id] == nil {
			n.traffic[id] = new([2]uint64)
		}
	}
	n.traffic[from][1] += uint64(size)
	n.traffic[to][0] += uint64(size)
}
