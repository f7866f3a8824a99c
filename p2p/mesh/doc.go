// Package mesh is the libp2p side of MeshHold: one host per daemon, implementing p2p.Transport.
//
// A Mesh is a private network: every connection is wrapped in the swarm key (PSK), then secured
// with Noise and multiplexed with yamux, over TCP only — go-libp2p drops QUIC, WebTransport and
// WebRTC when a PSK is set, so Start refuses such listen addresses instead of silently not
// listening on them. Connections are kept under a connection manager (low/high watermarks) and a
// resource manager with libp2p's scaled default limits.
//
// Streams are served per protocol id (p2p/wire names them) and gossip runs on GossipSub with
// signed messages. Peers are found by dialling bootstrap addresses, by mDNS on the LAN when
// enabled, and through whoever connects; a keeper goroutine redials bootstrap peers that are not
// connected, and peers that dropped, with exponential backoff and jitter (keep.go).
//
// Nothing here logs the swarm key: only its fingerprint.
package mesh
