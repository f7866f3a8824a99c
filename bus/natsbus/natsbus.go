// Package natsbus implements bus.Bus on an embedded nats-server: the daemon's own connection
// (in-process or loopback TCP, see ConnMode), an optional listener for external clients who may
// subscribe to anything but never publish events, and optional export-only leaf-node remotes
// that feed this node's events to an external NATS cluster.
package natsbus

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/meshhold/meshhold/bus"
)

// Timeouts of Close: draining the connection, then shutting the server down.
const (
	drainTimeout    = 2 * time.Second
	shutdownTimeout = 3 * time.Second
)

// Pending limits of each subscription: what may queue in memory for a slow handler before
// messages are dropped (and a warning logged). Variables only so tests can lower them.
var (
	pendingMsgs  = 1 << 20
	pendingBytes = 256 << 20
)

// slowWarnEvery rate-limits slow-consumer warnings per subject.
const slowWarnEvery = 10 * time.Second

// Bus is the embedded NATS server and the daemon's own connection to it.
type Bus struct {
	log       *slog.Logger
	srv       *server.Server
	nc        *nats.Conn
	closed    chan struct{} // closed when nc has closed
	clientURL string
	dialURL   string // the loopback connection's URL; "" in-process
	warns     *warnLimiter

	closeOnce sync.Once
	closeErr  error
}

var _ bus.Bus = (*Bus)(nil)

// Start validates cfg, starts the embedded server and connects the daemon to it. A nil log
// discards.
func Start(cfg Config, log *slog.Logger) (*Bus, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	auth, err := newAuthenticator(cfg)
	if err != nil {
		return nil, err
	}
	opts, err := serverOptions(cfg, auth)
	if err != nil {
		return nil, err
	}
	srv, err := startServer(opts, newServerLogger(log.With("component", "nats_server")))
	if err != nil {
		return nil, err
	}
	b := &Bus{log: log, srv: srv, closed: make(chan struct{}), warns: newWarnLimiter(slowWarnEvery)}
	if cfg.Listen != "" {
		b.clientURL = externalURL(cfg.Listen, srv)
	}
	if err := b.connect(cfg.Conn, auth.internalToken()); err != nil {
		srv.Shutdown()
		return nil, err
	}
	log.Debug("bus started", "conn", cfg.Conn, "client_url", b.clientURL, "leaf_remotes", len(cfg.LeafRemotes))
	return b, nil
}

// ClientURL is the URL external clients connect to, or "" when there is no external listener.
func (b *Bus) ClientURL() string { return b.clientURL }

// Publish implements bus.Bus; it buffers and returns without waiting for any subscriber.
func (b *Bus) Publish(subject string, data []byte) error {
	if err := b.nc.Publish(subject, data); err != nil {
		return fmt.Errorf("natsbus: publish %s: %w", subject, err)
	}
	return nil
}

// Subscribe implements bus.Bus with an asynchronous subscription: fn runs on the
// subscription's own goroutine; a handler that falls behind by more than the pending limits
// loses messages, with a rate-limited warning.
func (b *Bus) Subscribe(subject string, fn func(bus.Msg)) (bus.Subscription, error) {
	if fn == nil {
		return nil, fmt.Errorf("natsbus: subscribe %s: nil handler", subject)
	}
	sub, err := b.nc.Subscribe(subject, func(m *nats.Msg) {
		fn(bus.Msg{Subject: m.Subject, Data: m.Data})
	})
	if err != nil {
		return nil, fmt.Errorf("natsbus: subscribe %s: %w", subject, err)
	}
	if err := sub.SetPendingLimits(pendingMsgs, pendingBytes); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("natsbus: subscribe %s: pending limits: %w", subject, err)
	}
	return subscription{sub}, nil
}

// Close drains the connection (delivering what was published and is pending for handlers),
// then shuts the server down; each step is bounded, so Close returns within about 6 s.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.close() })
	return b.closeErr
}

func (b *Bus) close() error {
	var errs []error
	if err := b.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		errs = append(errs, fmt.Errorf("natsbus: drain: %w", err))
		b.nc.Close()
	}
	select {
	case <-b.closed:
	case <-time.After(drainTimeout + time.Second):
		errs = append(errs, errors.New("natsbus: drain: timed out"))
		b.nc.Close()
	}
	done := make(chan struct{})
	go func() {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(shutdownTimeout):
		errs = append(errs, errors.New("natsbus: server shutdown: timed out"))
	}
	return errors.Join(errs...)
}

// subscription adapts a nats subscription to bus.Subscription.
type subscription struct{ sub *nats.Subscription }

// Unsubscribe implements bus.Subscription; it is idempotent and a no-op after Close.
func (s subscription) Unsubscribe() error {
	err := s.sub.Unsubscribe()
	if err == nil || errors.Is(err, nats.ErrBadSubscription) ||
		errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionDraining) {
		return nil
	}
	return fmt.Errorf("natsbus: unsubscribe %s: %w", s.sub.Subject, err)
}

// externalURL is the client URL for status output: the configured host, the bound port.
func externalURL(listen string, srv *server.Server) string {
	host, port, _ := net.SplitHostPort(listen)
	if host == "" {
		host = "0.0.0.0"
	}
	if addr, ok := srv.Addr().(*net.TCPAddr); ok && addr != nil {
		port = strconv.Itoa(addr.Port)
	}
	return "nats://" + net.JoinHostPort(host, port)
}
