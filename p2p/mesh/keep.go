package mesh

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/meshhold/meshhold/p2p"
)

// protectTag marks bootstrap peers in the connection manager, which never trims them.
const protectTag = "meshhold/bootstrap"

// keeper redials the peers the mesh should stay connected to: every bootstrap peer, forever, and
// every peer that dropped (at the addresses it had), while the mesh is below ConnLow and for at
// most ForgetAfter. Failed dials back off exponentially from BackoffMin to BackoffMax, with
// jitter. libp2p's own dial backoff is bypassed: this is the one schedule.
type keeper struct {
	m    *Mesh
	kick chan struct{}

	mu      sync.Mutex
	targets map[peer.ID]*target
}

// target is one peer to keep connected.
type target struct {
	id        peer.ID
	addrs     []ma.Multiaddr
	bootstrap bool
	failures  int       // failed dials since last connected
	next      time.Time // earliest next dial
	since     time.Time // when it was last seen connected, or first scheduled
	dialing   bool
}

func newKeeper(m *Mesh) *keeper {
	return &keeper{m: m, kick: make(chan struct{}, 1), targets: map[peer.ID]*target{}}
}

// wake makes the loop look at the targets now.
func (k *keeper) wake() {
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// SetBootstrap replaces the list of peers kept connected (PUT …/bootstrap): each is dialled now
// and redialled whenever it is not connected; the connection manager never trims them. Peers
// dropped from the list stay connected but are no longer protected. An invalid address
// leaves the list unchanged. Addresses of this node itself are skipped.
func (m *Mesh) SetBootstrap(addrs []string) error {
	infos, err := parseBootstrap(addrs)
	if err != nil {
		return err
	}
	if m.isClosed() {
		return ErrClosed
	}
	k := m.keep
	now := time.Now()
	k.mu.Lock()
	keep := map[peer.ID]bool{}
	for _, ai := range infos {
		if ai.ID == m.self {
			m.log.Debug("bootstrap address of this node skipped", "addr", fmt.Sprint(ai.Addrs))
			continue
		}
		keep[ai.ID] = true
		m.h.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.PermanentAddrTTL)
		m.cm.Protect(ai.ID, protectTag)
		t := k.targets[ai.ID]
		if t == nil {
			t = &target{id: ai.ID, since: now}
			k.targets[ai.ID] = t
		}
		t.addrs, t.bootstrap, t.failures, t.next = ai.Addrs, true, 0, now
	}
	for id, t := range k.targets {
		if t.bootstrap && !keep[id] {
			t.bootstrap = false
			m.cm.Unprotect(id, protectTag)
			m.h.Peerstore().UpdateAddrs(id, peerstore.PermanentAddrTTL, peerstore.RecentlyConnectedAddrTTL)
		}
	}
	k.mu.Unlock()
	k.wake()
	return nil
}

// Bootstrap lists the bootstrap peers the mesh keeps connected, sorted, for diagnostics.
func (m *Mesh) Bootstrap() []p2p.PeerID {
	k := m.keep
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []p2p.PeerID
	for id, t := range k.targets {
		if t.bootstrap {
			out = append(out, p2p.PeerID(id.String()))
		}
	}
	slices.Sort(out)
	return out
}

// connected resets a target's backoff when its peer connects.
func (k *keeper) connected(id peer.ID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if t := k.targets[id]; t != nil {
		t.failures, t.since = 0, time.Now()
	}
}

// disconnected schedules a redial of a peer that dropped, at addrs (its peerstore addresses at
// the time): a bootstrap peer at its configured addresses, any other peer at these.
func (k *keeper) disconnected(id peer.ID, addrs []ma.Multiaddr) {
	now := time.Now()
	k.mu.Lock()
	t := k.targets[id]
	switch {
	case t != nil:
		if !t.bootstrap && len(addrs) > 0 {
			t.addrs = addrs
		}
	case len(addrs) > 0:
		t = &target{id: id, addrs: addrs}
		k.targets[id] = t
	default:
		k.mu.Unlock()
		return // nowhere to dial it
	}
	t.failures, t.since = 0, now
	t.next = now.Add(jitter(k.m.cfg.BackoffMin) / 4) // soon, but not in lockstep with the peer
	k.mu.Unlock()
	k.wake()
}

// loop dials due targets until the mesh closes.
func (k *keeper) loop() {
	defer k.m.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-k.m.ctx.Done():
			return
		case <-timer.C:
		case <-k.kick:
		}
		timer.Reset(k.dialDue(time.Now()))
	}
}

// dialDue starts a dial to every due target that is not connected, forgets stale ones, and
// returns how long until the next one is due.
func (k *keeper) dialDue(now time.Time) time.Duration {
	m := k.m
	wait := m.cfg.BackoffMax
	crowded := len(m.h.Network().Peers()) >= m.cfg.ConnLow
	k.mu.Lock()
	defer k.mu.Unlock()
	for id, t := range k.targets {
		switch {
		case t.dialing:
			continue
		case m.h.Network().Connectedness(id) == network.Connected:
			t.failures = 0
			if !t.bootstrap {
				delete(k.targets, id) // remembered again if it drops
			}
			continue
		case !t.bootstrap && now.Sub(t.since) > m.cfg.ForgetAfter:
			m.log.Info("peer forgotten after failing to reconnect", "peer", id.String(), "for", now.Sub(t.since).Round(time.Second).String())
			delete(k.targets, id)
			continue
		case !t.bootstrap && crowded:
			continue // enough connections: do not fight the connection manager
		case t.next.After(now):
			wait = min(wait, t.next.Sub(now))
			continue
		}
		t.dialing = true
		ai := peer.AddrInfo{ID: id, Addrs: t.addrs}
		if !m.goTracked(func() { k.dial(ai) }) {
			t.dialing = false
		}
	}
	return max(wait, time.Millisecond)
}

// dial makes one attempt and schedules the next on failure.
func (k *keeper) dial(ai peer.AddrInfo) {
	m := k.m
	ctx, cancel := context.WithTimeout(m.ctx, m.cfg.DialTimeout)
	err := m.h.Connect(network.WithForceDirectDial(ctx, "meshhold keep"), ai)
	cancel()
	var bootstrap bool
	var failures int
	k.mu.Lock()
	if t := k.targets[ai.ID]; t != nil {
		t.dialing = false
		if err != nil {
			t.failures++
			t.next = time.Now().Add(backoff(m.cfg.BackoffMin, m.cfg.BackoffMax, t.failures))
		} else {
			t.failures = 0
		}
		bootstrap, failures = t.bootstrap, t.failures
	}
	k.mu.Unlock()
	switch {
	case m.ctx.Err() != nil:
		return
	case err != nil:
		lvl := m.log.Debug
		if bootstrap && failures == 3 {
			lvl = m.log.Warn // once per outage, not per attempt
		}
		lvl("redial failed", "peer", ai.ID.String(), "bootstrap", bootstrap, "failures", failures, "err", err)
	default:
		m.log.Debug("redialled", "peer", ai.ID.String())
	}
	k.wake()
}

// backoff is the delay after the n-th consecutive failure: min·2^(n-1), at most max, ±20 %.
func backoff(lo, hi time.Duration, n int) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	return jitter(min(d, hi))
}

// jitter spreads d by ±20 % so that peers do not redial in lockstep.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
