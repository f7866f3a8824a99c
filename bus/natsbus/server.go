package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startTimeout bounds how long Start waits for the embedded server to accept connections.
const startTimeout = 10 * time.Second

// serverOptions builds the embedded server's options: the client listener (external, loopback
// for the daemon, or none), the authenticator, and export-only leaf remotes.
func serverOptions(cfg Config, auth *authenticator) (*server.Options, error) {
	opts := &server.Options{
		NoSigs:                     true,
		DontListen:                 true,
		CustomClientAuthentication: auth,
	}
	switch {
	case cfg.Listen != "":
		host, portStr, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("natsbus: listen %q: %w", cfg.Listen, err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil {
			return nil, fmt.Errorf("natsbus: listen %q: %w", cfg.Listen, err)
		}
		if host == "" {
			host = "0.0.0.0"
		}
		if port == 0 {
			port = server.RANDOM_PORT
		}
		opts.DontListen, opts.Host, opts.Port = false, host, port
	case cfg.Conn == ConnLoopback:
		opts.DontListen, opts.Host, opts.Port = false, "127.0.0.1", server.RANDOM_PORT
	}
	for i, r := range cfg.LeafRemotes {
		remote, err := leafRemote(r)
		if err != nil {
			return nil, fmt.Errorf("natsbus: leaf remote %d: %w", i, err)
		}
		opts.LeafNode.Remotes = append(opts.LeafNode.Remotes, remote)
	}
	return opts, nil
}

// leafRemote turns one configured remote into the server's options: this node's messages flow
// out to the remote's subscribers, and nothing flows in — DenyImports ">" keeps this node from
// announcing any interest to the hub, and makes it drop anything the hub sends anyway, so a
// daemon never receives another daemon's events as its own.
func leafRemote(r LeafRemote) (*server.RemoteLeafOpts, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, err
	}
	if r.Token.IsSet() {
		u.User = url.User(r.Token.Reveal())
	}
	return &server.RemoteLeafOpts{
		URLs:        []*url.URL{u},
		Credentials: r.Credentials,
		TLS:         u.Scheme == "tls" || u.Scheme == "wss",
		DenyImports: []string{">"},
	}, nil
}

// startServer creates and starts the embedded server and waits until it accepts connections.
func startServer(opts *server.Options, logger *serverLogger) (*server.Server, error) {
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsbus: new server: %w", err)
	}
	srv.SetLoggerV2(logger, logger.log.Enabled(context.Background(), slog.LevelDebug), false, false)
	srv.Start()
	deadline := time.Now().Add(startTimeout)
	for !srv.ReadyForConnections(20 * time.Millisecond) {
		if msg := logger.fatal(); msg != "" {
			srv.Shutdown()
			return nil, fmt.Errorf("natsbus: start server: %s", msg)
		}
		if time.Now().After(deadline) {
			srv.Shutdown()
			return nil, errors.New("natsbus: start server: not ready in time")
		}
	}
	return srv, nil
}

// dialAddr is where the daemon's loopback connection dials the server's client listener: its
// own address, or loopback when it listens on every interface.
func dialAddr(srv *server.Server) (string, error) {
	addr, ok := srv.Addr().(*net.TCPAddr)
	if !ok || addr == nil {
		return "", errors.New("natsbus: server has no client listener")
	}
	ip := addr.IP
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1) // Go's wildcard listeners are dual-stack
	}
	return "nats://" + net.JoinHostPort(ip.String(), strconv.Itoa(addr.Port)), nil
}
