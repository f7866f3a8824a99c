package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/bus/natsbus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/p2p/identity"
	"github.com/meshhold/meshhold/persist/blockstore"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/keyring"
)

// shutdownBudget bounds a graceful shutdown; past it the process exits anyway.
const shutdownBudget = 20 * time.Second

// daemon is one running meshhold: what it opened, in the order it opened it.
type daemon struct {
	cfg     Config
	log     *slog.Logger
	out     io.Writer // the ready banner
	store   *boltdb.Store
	keys    *keyring.Keyring
	blocks  *blockstore.Store
	bus     *natsbus.Bus
	node    *node.Node
	peerID  peer.ID
	ln      net.Listener
	srv     *http.Server
	started time.Time
}

// runDaemon starts the daemon and serves until SIGINT or SIGTERM, then shuts down gracefully.
func runDaemon(cfg Config, log *slog.Logger, out io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	d := &daemon{cfg: cfg, log: log, out: out, started: time.Now()}
	if err := d.start(); err != nil {
		d.close()
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- d.srv.Serve(d.ln) }()
	d.banner()
	select {
	case <-ctx.Done():
		log.Info("shutting down", "budget", shutdownBudget)
	case err := <-serveErr:
		log.Error("API server stopped", "err", err)
	}
	stop() // a second signal now kills the process the default way
	timer := time.AfterFunc(shutdownBudget, func() {
		log.Error("graceful shutdown took too long; exiting")
		os.Exit(1)
	})
	defer timer.Stop()
	return d.shutdown()
}

// start opens everything in dependency order; on error, close releases what was opened.
func (d *daemon) start() error {
	c := d.cfg
	for _, dir := range []string{c.Node.MetadataDir, c.Node.DataDir} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create folder: %w", err)
		}
	}
	var err error
	if d.store, err = boltdb.Open(filepath.Join(c.Node.MetadataDir, boltdb.FileName), boltdb.Options{LockTimeout: time.Second}); err != nil {
		if errors.Is(err, boltdb.ErrLocked) {
			return fmt.Errorf("meshhold is already running on %s (its store is locked by another process)", c.Node.MetadataDir)
		}
		return err
	}
	if d.keys, err = keyring.Open(c.AtRest, d.store); err != nil {
		return fmt.Errorf("at-rest encryption: %w", err)
	}
	if _, d.peerID, err = identity.LoadOrCreate(d.store, d.keys, time.Now()); err != nil {
		return err
	}
	if err := importDeclarations(d.store, c); err != nil {
		return fmt.Errorf("import config.yaml: %w", err)
	}
	if d.blocks, err = blockstore.Open(filepath.Join(c.Node.DataDir, "blocks")); err != nil {
		return err
	}
	if d.bus, err = natsbus.Start(c.Bus, d.log.With("subsystem", "bus")); err != nil {
		return fmt.Errorf("event bus: %w", err)
	}
	d.node, err = node.Start(node.Deps{Store: d.store, Blocks: d.blocks, Bus: d.bus, NodeID: d.peerID.String(),
		Logger: d.log.With("subsystem", "actors"), EventLogMax: c.Events.LogMax})
	if err != nil {
		return err
	}
	if d.ln, err = net.Listen("tcp", c.API.EffectiveBind()); err != nil {
		return fmt.Errorf("api.bind %s: %w", c.API.EffectiveBind(), err)
	}
	router := api.NewRouter(d.routes(), api.RouterDeps{Logger: d.log.With("subsystem", "api")})
	d.srv = api.NewServer(router, d.log.With("subsystem", "api"))
	return nil
}

// routes is every route the daemon serves.
func (d *daemon) routes() []api.Route {
	return api.SystemRoutes(version)
}

// apiURL is the base URL clients use.
func (d *daemon) apiURL() string {
	return "http://" + d.ln.Addr().String() + api.Prefix
}

// banner tells the user where the daemon is and what to do next.
func (d *daemon) banner() {
	mode := "mesh on"
	if !d.cfg.SwarmKey.IsSet() {
		mode = "limited mode: no swarm_key, the mesh is off"
	}
	d.log.Info("ready", "api", d.apiURL(), "peer", d.peerID.String(), "node_name", d.cfg.Node.Name,
		"took", time.Since(d.started).Round(time.Millisecond))
	fmt.Fprintf(d.out, "MeshHold %s is running.\n", version)
	fmt.Fprintf(d.out, "  API:    %s\n", d.apiURL())
	fmt.Fprintf(d.out, "  Node:   %s (%s)\n", d.cfg.Node.Name, d.peerID)
	fmt.Fprintf(d.out, "  Config: %s (%s)\n", d.cfg.path, mode)
	fmt.Fprintf(d.out, "Next: curl %s/version\n", d.apiURL())
}

// shutdown drains requests, stops the actors (flushing the committer), then closes the bus and
// the store: every acknowledged write is durable before the store closes.
func (d *daemon) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownBudget-2*time.Second)
	defer cancel()
	var errs []error
	if err := d.srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("drain API: %w", err))
	}
	if err := d.node.Stop(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop actors: %w", err))
	}
	d.node = nil
	d.close()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.log.Info("stopped")
	return nil
}

// close releases what start opened, in reverse order.
func (d *daemon) close() {
	if d.ln != nil {
		_ = d.ln.Close()
	}
	if d.node != nil {
		_ = d.node.Stop(context.Background())
	}
	if d.bus != nil {
		if err := d.bus.Close(); err != nil {
			d.log.Warn("close bus", "err", err)
		}
	}
	if d.store != nil {
		if err := d.store.Close(); err != nil {
			d.log.Error("close store", "err", err)
		}
	}
}
