package mesh

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
)

// mdnsService names the DNS-SD service a network's nodes advertise on the LAN: derived from the
// swarm key (a hash, revealing nothing of it), so nodes of other networks on the same LAN do not
// even try to connect. 13 characters, under DNS-SD's 15.
func mdnsService(psk []byte) string {
	sum := sha256.Sum256(append([]byte("meshhold/mdns/v1\x00"), psk...))
	return "_mh-" + hex.EncodeToString(sum[:5]) + "._udp"
}

// startMDNS advertises this node on the LAN and connects to the nodes it finds. A failure is
// logged, not fatal: mDNS is a convenience.
func (m *Mesh) startMDNS() {
	svc := mdns.NewMdnsService(m.h, mdnsService(m.cfg.PSK), mdnsNotifee{m})
	if err := svc.Start(); err != nil {
		m.log.Warn("mDNS discovery not started", "err", err)
		_ = svc.Close()
		return
	}
	m.mdns = svc
}

// mdnsNotifee connects to the peers mDNS finds.
type mdnsNotifee struct{ m *Mesh }

// HandlePeerFound dials a found peer that is not connected yet, in the background.
func (n mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	m := n.m
	if ai.ID == m.self || m.h.Network().Connectedness(ai.ID) == network.Connected {
		return
	}
	m.goTracked(func() {
		ctx, cancel := context.WithTimeout(m.ctx, m.cfg.DialTimeout)
		defer cancel()
		if err := m.h.Connect(ctx, ai); err != nil {
			m.log.Debug("mDNS peer not reachable", "peer", ai.ID.String(), "err", err)
			return
		}
		m.log.Info("connected to a peer found by mDNS", "peer", ai.ID.String())
	})
}
