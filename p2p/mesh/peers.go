package mesh

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	pingsvc "github.com/libp2p/go-libp2p/p2p/protocol/ping"

	"github.com/meshhold/meshhold/p2p"
)

// watcher is one WatchPeers registration; off is set by cancel so an event already being
// dispatched skips it.
type watcher struct {
	fn  func(p2p.PeerEvent)
	off atomic.Bool
}

// Peers lists the peers connected now, sorted.
func (m *Mesh) Peers() []p2p.PeerID {
	var out []p2p.PeerID
	for _, id := range m.h.Network().Peers() {
		if m.h.Network().Connectedness(id) == network.Connected {
			out = append(out, p2p.PeerID(id.String()))
		}
	}
	slices.Sort(out)
	return out
}

// WatchPeers calls fn once per transition of a peer between connected and not connected (a
// second connection to a connected peer is no event). Calls come one at a time, in order, from
// one goroutine, and must not block for long: they hold up the next event. A callback must not
// call Close, which waits for that goroutine.
func (m *Mesh) WatchPeers(fn func(p2p.PeerEvent)) (cancel func()) {
	w := &watcher{fn: fn}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return func() {}
	}
	m.watchers = append(m.watchers, w)
	return func() {
		w.off.Store(true)
		m.mu.Lock()
		defer m.mu.Unlock()
		m.watchers = slices.DeleteFunc(m.watchers, func(x *watcher) bool { return x == w })
	}
}

// eventLoop turns the host's connectedness events into one transition per peer: it tells the
// keeper, pings new peers for an RTT, and calls the watchers.
func (m *Mesh) eventLoop(sub event.Subscription) {
	defer m.wg.Done()
	defer sub.Close()
	connected := map[peer.ID]bool{}
	for {
		select {
		case <-m.ctx.Done():
			return
		case e, ok := <-sub.Out():
			if !ok {
				return
			}
			ev, ok := e.(event.EvtPeerConnectednessChanged)
			if !ok {
				continue
			}
			now := ev.Connectedness == network.Connected
			if connected[ev.Peer] == now {
				continue
			}
			if now {
				connected[ev.Peer] = true
			} else {
				delete(connected, ev.Peer)
			}
			m.onPeer(ev.Peer, now)
		}
	}
}

// onPeer handles one transition.
func (m *Mesh) onPeer(id peer.ID, connected bool) {
	if connected {
		m.log.Debug("peer connected", "peer", id.String())
		m.keep.connected(id)
		m.ping(id)
	} else {
		m.log.Debug("peer disconnected", "peer", id.String())
		m.keep.disconnected(id, m.h.Peerstore().Addrs(id))
	}
	m.mu.Lock()
	ws := slices.Clone(m.watchers)
	m.mu.Unlock()
	ev := p2p.PeerEvent{Peer: p2p.PeerID(id.String()), Connected: connected}
	for _, w := range ws {
		if !w.off.Load() && m.ctx.Err() == nil {
			w.fn(ev)
		}
	}
}

// RTT is the moving average of ping round trips to peer (pinged on connect and every
// PingInterval); 0 when unknown.
func (m *Mesh) RTT(p p2p.PeerID) time.Duration {
	id, err := peer.Decode(string(p))
	if err != nil {
		return 0
	}
	return m.h.Peerstore().LatencyEWMA(id)
}

// ping measures one round trip to id in the background; the peerstore records it.
func (m *Mesh) ping(id peer.ID) {
	m.goTracked(func() {
		ctx, cancel := context.WithTimeout(m.ctx, m.cfg.DialTimeout)
		defer cancel()
		select {
		case res, ok := <-pingsvc.Ping(ctx, m.h, id):
			if ok && res.Error != nil && ctx.Err() == nil {
				m.log.Debug("ping failed", "peer", id.String(), "err", res.Error)
			}
		case <-ctx.Done():
		}
	})
}

// maintain refreshes RTTs and trims idle bandwidth meters until Close.
func (m *Mesh) maintain() {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
			for _, id := range m.h.Network().Peers() {
				m.ping(id)
			}
			m.bw.TrimIdle(time.Now().Add(-10 * time.Minute))
		}
	}
}

// Dial connects to the node at addr (a multiaddr ending in /p2p/<peer id>) and returns its id.
// A ctx without deadline gets Config.DialTimeout. The address is remembered: if the peer drops
// later, the keeper redials it.
func (m *Mesh) Dial(ctx context.Context, addr string) (p2p.PeerID, error) {
	if m.isClosed() {
		return "", ErrClosed
	}
	ai, err := parsePeerAddr(addr)
	if err != nil {
		return "", fmt.Errorf("mesh: dial: %w", err)
	}
	if len(ai.Addrs) == 0 {
		return "", fmt.Errorf("mesh: dial: %w %s: no address before /p2p/", ErrBadAddr, addr)
	}
	if ai.ID == m.self {
		return "", fmt.Errorf("mesh: dial %s: that is this node", addr)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.cfg.DialTimeout)
		defer cancel()
	}
	m.h.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.AddressTTL)
	if err := m.h.Connect(network.WithForceDirectDial(ctx, "meshhold dial"), *ai); err != nil {
		return "", fmt.Errorf("mesh: dial %s: %w (is it up, and on the same swarm key?)", addr, err)
	}
	return p2p.PeerID(ai.ID.String()), nil
}
