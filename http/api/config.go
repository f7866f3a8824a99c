package api

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/meshhold/meshhold/messages"
)

// DefaultBind is the address the API listens on when neither api.bind nor api.listen_addr is set.
const DefaultBind = "127.0.0.1:8080"

// TLS modes of api.tls.
const (
	TLSAuto = "auto" // TLS unless the bind is loopback and no cert_file/key_file is set
	TLSOff  = "off"  // always plain HTTP
	TLSOn   = "on"   // always TLS, with a self-signed pair unless cert_file/key_file are set
)

// Config is the `api:` section of config.yaml.
type Config struct {
	Bind       string     `yaml:"bind"`        // host:port; empty means DefaultBind
	ListenAddr string     `yaml:"listen_addr"` // alias of bind, kept for older config files
	CertFile   string     `yaml:"cert_file"`
	KeyFile    string     `yaml:"key_file"`
	TLS        string     `yaml:"tls"` // "auto" | "off" | "on"
	Auth       AuthConfig `yaml:"auth"`
}

// AuthConfig is the `api.auth:` section: throttling of /auth/login.
type AuthConfig struct {
	LoginMaxAttempts int               `yaml:"login_max_attempts"`
	LoginWindow      messages.Duration `yaml:"login_window"`
	LoginLockout     messages.Duration `yaml:"login_lockout"`
}

// Defaults returns the API config used for keys the file leaves out. Bind stays empty so that
// a file setting only the listen_addr alias is not taken for a conflict; EffectiveBind resolves it.
func Defaults() Config {
	return Config{
		TLS: TLSAuto,
		Auth: AuthConfig{
			LoginMaxAttempts: 10,
			LoginWindow:      messages.Duration(15 * time.Minute),
			LoginLockout:     messages.Duration(15 * time.Minute),
		},
	}
}

// EffectiveBind returns the address to listen on: bind, else listen_addr, else DefaultBind.
func (c Config) EffectiveBind() string {
	switch {
	case c.Bind != "":
		return c.Bind
	case c.ListenAddr != "":
		return c.ListenAddr
	}
	return DefaultBind
}

// UseTLS reports whether the API is served over TLS, applying api.tls "auto" to the bind address.
func (c Config) UseTLS() bool {
	switch c.TLS {
	case TLSOn:
		return true
	case TLSOff:
		return false
	}
	return c.CertFile != "" || !isLoopbackHost(c.EffectiveBind())
}

// Validate checks every key, naming the first bad one as `api.<key>: …`.
func (c Config) Validate() error {
	if c.Bind != "" && c.ListenAddr != "" && c.Bind != c.ListenAddr {
		return fmt.Errorf("api.listen_addr: %q differs from api.bind %q; listen_addr is an alias of bind, set only one", c.ListenAddr, c.Bind)
	}
	key := "api.bind"
	if c.Bind == "" && c.ListenAddr != "" {
		key = "api.listen_addr"
	}
	if err := checkHostPort(c.EffectiveBind()); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	switch c.TLS {
	case TLSAuto, TLSOn:
	case TLSOff:
		if c.CertFile != "" || c.KeyFile != "" {
			return errors.New(`api.tls: is "off" but cert_file/key_file are set; remove them or use "auto" or "on"`)
		}
	default:
		return fmt.Errorf("api.tls: %q is not one of auto, off, on", c.TLS)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("api.cert_file: cert_file and key_file must be set together")
	}
	a := c.Auth
	if a.LoginMaxAttempts < 1 {
		return fmt.Errorf("api.auth.login_max_attempts: %d must be at least 1", a.LoginMaxAttempts)
	}
	if a.LoginWindow <= 0 {
		return fmt.Errorf("api.auth.login_window: %s must be positive", a.LoginWindow)
	}
	if a.LoginLockout <= 0 {
		return fmt.Errorf("api.auth.login_lockout: %s must be positive", a.LoginLockout)
	}
	return nil
}

// checkHostPort accepts host:port with a numeric port; an empty host means every interface.
func checkHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (for example 127.0.0.1:8080 or [::1]:8080)", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535", addr, port)
	}
	if strings.ContainsAny(host, " /\t") {
		return fmt.Errorf("%q: host %q is not a host name or IP address", addr, host)
	}
	return nil
}

// isLoopbackHost reports whether addr's host is localhost or a loopback IP.
func isLoopbackHost(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
