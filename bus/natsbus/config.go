package natsbus

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"

	"github.com/meshhold/meshhold/messages"
)

// ConnMode chooses how the daemon's own connection reaches its embedded server.
type ConnMode string

// Connection modes. Loopback is the default because it measured faster here: 1 publisher →
// 1 subscriber with 128-byte messages (BenchmarkPublishDeliver, 200,000 messages, 2 cores) ran
// at 1.26–1.39 M msgs/s over loopback TCP against 1.04–1.11 M msgs/s in-process, about 20 %
// more in five runs of six (a noisy sixth tied at 0.7 M), and MEASURED.md saw a wider gap
// (955 k/s vs 261 k/s): nats.go batches writes into a socket the kernel buffers, while the
// in-process net.Pipe hands each write over synchronously. Its cost is a listener on 127.0.0.1
// at an OS-chosen port that admits only a random per-start token (or the external listener,
// when bus.listen is set).
const (
	ConnInProcess ConnMode = "inprocess"
	ConnLoopback  ConnMode = "loopback"
	DefaultConn            = ConnLoopback
)

// minTokenLen is the shortest external token accepted.
const minTokenLen = 16

// Config is the `bus:` section of config.yaml.
type Config struct {
	// Listen, when set (e.g. "0.0.0.0:4222"), accepts external NATS clients on that address;
	// port 0 lets the OS choose. Empty: no external clients.
	Listen string `yaml:"listen"`
	// Token authenticates external clients. Required when Listen is not a loopback address;
	// when Listen is loopback and Token is empty, local clients connect without credentials.
	// Ignored without Listen. External clients may subscribe to anything and may publish
	// anything except meshhold.events.> (no forged events).
	Token messages.Secret `yaml:"token"`
	// LeafRemotes are external NATS clusters this node joins as a leaf node, export only.
	LeafRemotes []LeafRemote `yaml:"leaf_remotes"`
	// Conn chooses the daemon's own connection: "loopback" (default) or "inprocess".
	Conn ConnMode `yaml:"conn"`
}

// LeafRemote is one external NATS cluster to export this node's events to.
type LeafRemote struct {
	// URL of the remote's leaf node port: nats://, tls://, ws:// or wss://, without credentials.
	URL string `yaml:"url"`
	// Credentials is the path of a .creds file (user JWT and seed); optional.
	Credentials string `yaml:"credentials"`
	// Token authenticates to the remote; optional, exclusive with Credentials.
	Token messages.Secret `yaml:"token"`
}

// Defaults fills in unset fields.
func (c *Config) Defaults() {
	if c.Conn == "" {
		c.Conn = DefaultConn
	}
}

// Validate checks the config; errors name the yaml key, e.g. "bus.leaf_remotes[0].url: ...".
func (c Config) Validate() error {
	switch c.Conn {
	case "", ConnInProcess, ConnLoopback:
	default:
		return fmt.Errorf("bus.conn: %q is not %q or %q", c.Conn, ConnInProcess, ConnLoopback)
	}
	if c.Listen != "" {
		loopback, err := parseListen(c.Listen)
		if err != nil {
			return fmt.Errorf("bus.listen: %w", err)
		}
		if !loopback && !c.Token.IsSet() {
			return fmt.Errorf("bus.token: required when bus.listen (%s) is not a loopback address", c.Listen)
		}
		if c.Token.IsSet() && len(c.Token.Reveal()) < minTokenLen {
			return fmt.Errorf("bus.token: shorter than %d characters", minTokenLen)
		}
	}
	for i, r := range c.LeafRemotes {
		if err := r.validate(); err != nil {
			return fmt.Errorf("bus.leaf_remotes[%d].%w", i, err)
		}
	}
	return nil
}

// validate checks one remote; errors start with the key inside the remote.
func (r LeafRemote) validate() error {
	if r.URL == "" {
		return fmt.Errorf("url: required")
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	switch u.Scheme {
	case "nats", "tls", "ws", "wss":
	default:
		return fmt.Errorf("url: scheme %q is not nats, tls, ws or wss", u.Scheme)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("url: no host in %q", u.Redacted())
	}
	if u.User != nil {
		return fmt.Errorf("url: put credentials in token or credentials, not in the URL")
	}
	if r.Credentials != "" && r.Token.IsSet() {
		return fmt.Errorf("token: set credentials or token, not both")
	}
	if r.Credentials != "" {
		st, err := os.Stat(r.Credentials)
		if err != nil {
			return fmt.Errorf("credentials: %w", err)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("credentials: %s is not a regular file", r.Credentials)
		}
	}
	return nil
}

// parseListen checks a host:port listen address and reports whether it is loopback only.
func parseListen(addr string) (loopback bool, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return false, fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if host == "" || host == "localhost" {
		return host == "localhost", nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false, fmt.Errorf("host %q is not an IP address or localhost", host)
	}
	return ip.IsLoopback(), nil
}
