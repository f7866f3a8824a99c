package mesh

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestQUICListenAddrRefused: QUIC and the other UDP transports would be dropped silently by
// go-libp2p under a swarm key; Start refuses them, naming the address and the reason.
func TestQUICListenAddrRefused(t *testing.T) {
	for _, addr := range []string{
		"/ip4/0.0.0.0/udp/7777/quic-v1",
		"/ip4/0.0.0.0/udp/7777/quic",
		"/ip4/0.0.0.0/udp/7777/quic-v1/webtransport",
		"/ip4/0.0.0.0/udp/7777/webrtc-direct",
	} {
		_, err := Start(testConfig(t, Config{ListenAddrs: []string{loopback, addr}}))
		if !errors.Is(err, ErrUnsupportedAddr) {
			t.Fatalf("%s: err = %v, want ErrUnsupportedAddr", addr, err)
		}
		for _, part := range []string{addr, "QUIC", "swarm key", "TCP"} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("%s: error %q does not mention %q", addr, err, part)
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := testConfig(t, Config{})
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, tc := range map[string]struct {
		mut  func(*Config)
		want string
	}{
		"no key":            {func(c *Config) { c.PrivKey = nil }, "private key"},
		"no psk":            {func(c *Config) { c.PSK = nil }, "psk"},
		"short psk":         {func(c *Config) { c.PSK = c.PSK[:16] }, "psk"},
		"websocket":         {func(c *Config) { c.ListenAddrs = []string{"/ip4/0.0.0.0/tcp/7777/ws"} }, "TCP only"},
		"dns listen":        {func(c *Config) { c.ListenAddrs = []string{"/dns4/example.org/tcp/7777"} }, "TCP only"},
		"not a multiaddr":   {func(c *Config) { c.ListenAddrs = []string{"0.0.0.0:7777"} }, "not a multiaddr"},
		"bootstrap no /p2p": {func(c *Config) { c.Bootstrap = []string{"/ip4/192.0.2.1/tcp/7777"} }, "/p2p/"},
		"low above high":    {func(c *Config) { c.ConnLow, c.ConnHigh = 10, 5 }, "conn_low"},
		"negative":          {func(c *Config) { c.DialTimeout = -1 }, "negative"},
		"backoff inverted":  {func(c *Config) { c.BackoffMin, c.BackoffMax = 2e9, 1e9 }, "backoff_min"},
	} {
		c := good
		tc.mut(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", name, err, tc.want)
		}
		if _, serr := Start(c); serr == nil {
			t.Errorf("%s: Start accepted it", name)
		}
	}
	d := Config{}.withDefaults()
	if d.ListenAddrs[0] != DefaultListenAddr || d.ConnLow != DefaultConnLow || d.ConnHigh != DefaultConnHigh ||
		d.BackoffMin != DefaultBackoffMin || d.BackoffMax != DefaultBackoffMax || d.Logger == nil {
		t.Errorf("defaults: %+v", d)
	}
}

// TestPSKNotLogged: the start log names the key's fingerprint, never the key.
func TestPSKNotLogged(t *testing.T) {
	var buf strings.Builder
	c := testConfig(t, Config{})
	c.Logger = newBufLogger(&buf)
	m, err := Start(c)
	if err != nil {
		t.Fatal(err)
	}
	_ = m.Close()
	out := buf.String()
	if !strings.Contains(out, "psk_fingerprint") {
		t.Errorf("no fingerprint in the start log: %s", out)
	}
	for _, leak := range []string{"4242424242", "BBBBBBBB", "QkJCQkJC"} {
		if strings.Contains(out, leak) {
			t.Errorf("log contains the key (%s): %s", leak, out)
		}
	}
}

// TestPrometheusRegisterer: two meshes can share one registry (libp2p's collectors are shared).
func TestPrometheusRegisterer(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := start(t, Config{Registerer: reg})
	start(t, Config{Registerer: reg, Bootstrap: []string{loopbackAddr(t, a)}})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) == 0 {
		t.Error("no libp2p metrics registered")
	}
}
