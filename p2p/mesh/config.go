package mesh

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// DefaultListenAddr is where a Mesh listens when Config.ListenAddrs is empty.
const DefaultListenAddr = "/ip4/0.0.0.0/tcp/7777"

// Defaults of the zero fields of Config.
const (
	DefaultConnLow      = 64
	DefaultConnHigh     = 192
	DefaultBackoffMin   = time.Second
	DefaultBackoffMax   = time.Minute
	DefaultForgetAfter  = 24 * time.Hour
	DefaultDialTimeout  = 10 * time.Second
	DefaultPingInterval = 30 * time.Second
)

// Config is what Start needs. PrivKey and PSK are required; zero fields take the defaults above.
type Config struct {
	PrivKey     crypto.PrivKey // the node's persisted identity (Ed25519)
	PSK         []byte         // the 32-byte swarm key (swarmkey.Key.Bytes()); never logged
	ListenAddrs []string       // TCP multiaddrs; default DefaultListenAddr
	NoListen    bool           // dial out only (ListenAddrs ignored): config.yaml's `listen_addrs: []`
	Bootstrap   []string       // multiaddrs ending in /p2p/<id>, dialled at start and kept connected
	MDNS        bool           // find and connect to peers of the same network on the LAN

	// ConnLow and ConnHigh are the connection manager's watermarks: above high it trims
	// connections (never bootstrap peers) down to low. Default 64 and 192.
	ConnLow, ConnHigh int

	// BackoffMin is the delay before redialling a bootstrap or dropped peer after a failed dial;
	// it doubles per failure up to BackoffMax, with ±20 % jitter. Default 1 s and 60 s.
	BackoffMin, BackoffMax time.Duration
	// ForgetAfter is how long a dropped peer that is not a bootstrap peer is redialled before it
	// is forgotten. Default 24 h.
	ForgetAfter time.Duration
	// DialTimeout bounds one dial, and OpenStream when its context has no deadline. Default 10 s.
	DialTimeout time.Duration
	// PingInterval is how often connected peers are pinged to keep RTT fresh. Default 30 s.
	PingInterval time.Duration

	// Registerer receives libp2p's Prometheus metrics; nil leaves them off.
	Registerer prometheus.Registerer
	Logger     *slog.Logger // default slog.Default()
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.NoListen {
		c.ListenAddrs = nil
	} else if len(c.ListenAddrs) == 0 {
		c.ListenAddrs = []string{DefaultListenAddr}
	}
	setDefault(&c.ConnLow, DefaultConnLow)
	setDefault(&c.ConnHigh, max(DefaultConnHigh, c.ConnLow))
	setDefault(&c.BackoffMin, DefaultBackoffMin)
	setDefault(&c.BackoffMax, max(DefaultBackoffMax, c.BackoffMin))
	setDefault(&c.ForgetAfter, DefaultForgetAfter)
	setDefault(&c.DialTimeout, DefaultDialTimeout)
	setDefault(&c.PingInterval, DefaultPingInterval)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// Validate checks the config as Start will use it (defaults applied), naming the bad field.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.PrivKey == nil {
		return errors.New("mesh: config: no private key (the node's identity)")
	}
	if _, err := swarmkey.FromBytes(c.PSK); err != nil {
		return fmt.Errorf("mesh: config: psk: %w (the mesh runs only as a private network)", err)
	}
	for _, a := range c.ListenAddrs {
		if _, err := parseListenAddr(a); err != nil {
			return err
		}
	}
	if _, err := parseBootstrap(c.Bootstrap); err != nil {
		return err
	}
	switch {
	case c.ConnLow < 0 || c.ConnHigh < 0:
		return fmt.Errorf("mesh: config: connection watermarks %d/%d must not be negative", c.ConnLow, c.ConnHigh)
	case c.ConnLow > c.ConnHigh:
		return fmt.Errorf("mesh: config: conn_low %d is above conn_high %d", c.ConnLow, c.ConnHigh)
	case c.BackoffMin < 0 || c.BackoffMax < 0 || c.ForgetAfter < 0 || c.DialTimeout < 0 || c.PingInterval < 0:
		return errors.New("mesh: config: durations must not be negative")
	case c.BackoffMin > c.BackoffMax:
		return fmt.Errorf("mesh: config: backoff_min %s is above backoff_max %s", c.BackoffMin, c.BackoffMax)
	}
	return nil
}

// parseListenAddr accepts /ip4|ip6/<ip>/tcp/<port> and refuses anything else, QUIC and the
// browser transports with the reason: go-libp2p drops them under a swarm key.
func parseListenAddr(s string) (ma.Multiaddr, error) {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return nil, fmt.Errorf("%w %q: not a multiaddr: %v", ErrUnsupportedAddr, s, err)
	}
	for _, c := range m {
		switch c.Code() {
		case ma.P_QUIC, ma.P_QUIC_V1, ma.P_WEBTRANSPORT, ma.P_WEBRTC, ma.P_WEBRTC_DIRECT, ma.P_UDP:
			return nil, fmt.Errorf("%w %s: go-libp2p drops QUIC, WebTransport and WebRTC when a swarm key "+
				"(private network) is set, so MeshHold listens on TCP only; use /ip4/0.0.0.0/tcp/<port>", ErrUnsupportedAddr, s)
		}
	}
	if len(m) != 2 || (m[0].Code() != ma.P_IP4 && m[0].Code() != ma.P_IP6) || m[1].Code() != ma.P_TCP {
		return nil, fmt.Errorf("%w %s: want /ip4/<ip>/tcp/<port> or /ip6/<ip>/tcp/<port> (TCP only)", ErrUnsupportedAddr, s)
	}
	return m, nil
}

// parsePeerAddr reads one multiaddr ending in /p2p/<peer id>.
func parsePeerAddr(s string) (*peer.AddrInfo, error) {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return nil, fmt.Errorf("%w %q: not a multiaddr: %v", ErrBadAddr, s, err)
	}
	ai, err := peer.AddrInfoFromP2pAddr(m)
	if err != nil {
		return nil, fmt.Errorf("%w %s: want a multiaddr ending in /p2p/<peer id>: %v", ErrBadAddr, s, err)
	}
	return ai, nil
}

// parseBootstrap reads bootstrap addresses, merging the addresses of one peer, in first-seen order.
func parseBootstrap(addrs []string) ([]peer.AddrInfo, error) {
	var out []peer.AddrInfo
	index := map[peer.ID]int{}
	for _, s := range addrs {
		ai, err := parsePeerAddr(s)
		if err != nil {
			return nil, fmt.Errorf("mesh: bootstrap: %w", err)
		}
		if len(ai.Addrs) == 0 {
			return nil, fmt.Errorf("mesh: bootstrap: %w %s: no address before /p2p/", ErrBadAddr, s)
		}
		if i, ok := index[ai.ID]; ok {
			out[i].Addrs = append(out[i].Addrs, ai.Addrs...)
			continue
		}
		index[ai.ID] = len(out)
		out = append(out, *ai)
	}
	return out, nil
}
