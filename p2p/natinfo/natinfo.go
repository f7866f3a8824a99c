// Package natinfo answers GET /system/nat: whether a UPnP internet gateway device (IGD) is on
// the LAN, its external address and the port mapping of the mesh's TCP port, and — only when
// a URL is configured — this node's public IP as a lookup service sees it. Everything is best
// effort and bounded by a short timeout; "no gateway found" is a normal answer. A result is
// kept for Config.CacheFor, and concurrent callers share one check.
package natinfo

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/meshhold/meshhold/messages"
)

// Defaults of Config.
const (
	DefaultTimeout  = 3 * time.Second
	DefaultCacheFor = time.Minute
)

// NoGateway is the message of the normal answer when no gateway answered.
const NoGateway = "no gateway found"

// Config configures a Checker.
type Config struct {
	// PublicIPURL, when set, is fetched to learn the public IP: an answer of the bare address,
	// or JSON with an "ip" field (e.g. https://api.ipify.org?format=json). Off when empty.
	PublicIPURL string
	// MeshPort is the mesh's TCP listen port, whose mapping the check looks up (0: none).
	MeshPort int
	// Timeout bounds a whole check (default DefaultTimeout).
	Timeout time.Duration
	// CacheFor is how long a result is reused (default DefaultCacheFor).
	CacheFor time.Duration
	// Client makes the public-IP request (default: a client that follows no redirects).
	Client *http.Client
	// Discover finds gateways (default: UPnP discovery with goupnp); tests replace it.
	Discover func(ctx context.Context) ([]Gateway, error)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if c.MeshPort < 0 || c.MeshPort > 65535 {
		return errors.New("natinfo: mesh port out of range")
	}
	if c.Timeout < 0 || c.CacheFor < 0 {
		return errors.New("natinfo: negative timeout or cache time")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.CacheFor == 0 {
		c.CacheFor = DefaultCacheFor
	}
	if c.Client == nil {
		c.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if c.Discover == nil {
		c.Discover = discoverUPnP
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Gateway is one gateway's WAN connection service.
type Gateway interface {
	// Name and URL describe the device.
	Name() string
	URL() string
	// ExternalIP asks the gateway for its WAN address.
	ExternalIP(ctx context.Context) (string, error)
	// Mapping looks up the mapping of an external port; found is false when there is none.
	Mapping(ctx context.Context, protocol string, port int) (m messages.NATMapping, found bool, err error)
}

// Checker runs and caches NAT checks.
type Checker struct {
	cfg Config

	mu     sync.Mutex
	last   messages.NATStatus
	at     time.Time
	flight chan struct{} // closed when the check in flight ends; nil when none
}

// New returns a checker; it panics if cfg is invalid.
func New(cfg Config) *Checker {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	return &Checker{cfg: cfg.withDefaults()}
}

// Status returns the cached result while it is fresh, or checks now (once for all callers
// waiting meanwhile). ctx bounds only this caller's wait.
func (c *Checker) Status(ctx context.Context) messages.NATStatus {
	c.mu.Lock()
	if !c.at.IsZero() && c.cfg.Now().Sub(c.at) < c.cfg.CacheFor {
		st := c.last
		c.mu.Unlock()
		return st
	}
	if c.flight == nil {
		c.flight = make(chan struct{})
		go c.refresh(c.flight)
	}
	wait := c.flight
	c.mu.Unlock()
	select {
	case <-wait:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.last
	case <-ctx.Done():
		return messages.NATStatus{Mappings: []messages.NATMapping{}, Message: "the check did not finish in time",
			Error: ctx.Err().Error(), CheckedAtMs: c.cfg.Now().UnixMilli()}
	}
}

// refresh runs one check, unbound from any caller, and stores it.
func (c *Checker) refresh(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	st := c.check(ctx)
	c.mu.Lock()
	c.last, c.at, c.flight = st, c.cfg.Now(), nil
	c.mu.Unlock()
	close(done)
}

// check asks the gateways and the public-IP service at once.
func (c *Checker) check(ctx context.Context) messages.NATStatus {
	var wg sync.WaitGroup
	var pubIP string
	var pubErr error
	if c.cfg.PublicIPURL != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pubIP, pubErr = c.publicIP(ctx)
		}()
	}
	st := c.gateway(ctx)
	wg.Wait()
	st.PublicIPURL = c.cfg.PublicIPURL
	st.PublicIP = pubIP
	if pubErr != nil {
		st.PublicIPError = pubErr.Error()
	}
	st.CheckedAtMs = c.cfg.Now().UnixMilli()
	return st
}

// gateway finds the first gateway and reads its external IP and the mesh port's mapping.
func (c *Checker) gateway(ctx context.Context) messages.NATStatus {
	st := messages.NATStatus{Mappings: []messages.NATMapping{}}
	gws, err := c.cfg.Discover(ctx)
	if len(gws) == 0 {
		st.Message = NoGateway
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			st.Message += " (" + err.Error() + ")"
		}
		return st
	}
	gw := gws[0]
	st.GatewayFound = true
	st.Gateway = &messages.NATGateway{Name: gw.Name(), URL: gw.URL()}
	st.Message = "gateway found"
	var errs []error
	if st.ExternalIP, err = gw.ExternalIP(ctx); err != nil {
		errs = append(errs, errors.New("external IP: "+err.Error()))
	}
	if c.cfg.MeshPort > 0 {
		m, found, err := gw.Mapping(ctx, "TCP", c.cfg.MeshPort)
		switch {
		case err != nil:
			errs = append(errs, errors.New("mapping of the mesh port: "+err.Error()))
		case found:
			st.Mappings = append(st.Mappings, m)
		default:
			st.Message = "gateway found; the mesh port is not mapped"
		}
	}
	if len(errs) > 0 {
		st.Error = errors.Join(errs...).Error()
	}
	return st
}
