package metrics

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Config is the `metrics:` section of config.yaml.
type Config struct {
	// Listen, when set (host:port), opens a plain-HTTP listener serving only GET /metrics without
	// credentials, for scrapers that cannot send a bearer. Empty: none; /metrics on the API
	// listener needs a bearer either way.
	Listen string `yaml:"prometheus_listen"`
}

// Defaults returns the metrics config used for keys the file leaves out: no open listener.
func Defaults() Config { return Config{} }

// Validate checks the config; errors name the key, e.g. "metrics.prometheus_listen: …".
func (c Config) Validate() error {
	if c.Listen == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("metrics.prometheus_listen: %q is not host:port (for example 127.0.0.1:9464)", c.Listen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("metrics.prometheus_listen: %q: port %q is not a number from 0 to 65535", c.Listen, port)
	}
	if strings.ContainsAny(host, " /\t") {
		return fmt.Errorf("metrics.prometheus_listen: %q: host %q is not a host name or IP address", c.Listen, host)
	}
	return nil
}

// Loopback reports whether Listen only accepts connections from this machine.
func (c Config) Loopback() bool {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
