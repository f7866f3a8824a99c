package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/actors/auth"
	"github.com/meshhold/meshhold/actors/contacts"
	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/actors/profile"
	"github.com/meshhold/meshhold/actors/settings"
	"github.com/meshhold/meshhold/bus/natsbus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/metrics"
	"github.com/meshhold/meshhold/http/openapi"
	"github.com/meshhold/meshhold/http/stream"
	"github.com/meshhold/meshhold/http/tlsconf"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/identity"
	"github.com/meshhold/meshhold/p2p/traffic"
	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/blockstore"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/keyring"
)

// shutdownBudget bounds a graceful shutdown; past it the process exits anyway.
const shutdownBudget = 20 * time.Second

// daemon is one running meshhold: what it opened, in the order it opened it.
type daemon struct {
	cfg                            Config
	log                            *slog.Logger
	out                            io.Writer // the ready banner
	store                          *boltdb.Store
	keys                           *keyring.Keyring
	blocks                         *blockstore.Store
	budget                         *holdBudget // storage.untrusted_budget over the untrusted vaults' pulls
	bus                            *natsbus.Bus
	node                           *node.Node
	priv                           crypto.PrivKey // the node's identity, which the mesh runs on
	peerID                         peer.ID
	tls                            *tlsconf.Material
	events                         *stream.Broadcaster
	system                         *api.System
	profile                        *api.Profile
	vaults                         *api.Vaults
	rooms                          *roomsGlue    // rooms.go: the chat rooms' routes and mesh hooks
	s3keys                         *api.S3Keys   // s3keys.go: the S3 access keys and grants
	s3cache                        s3Cache       // s3cache.go: what the S3 gateway keeps between requests (a commit hook)
	s3                             *s3Listener   // s3.go: the S3 gateway's listener, nil when off
	mesh                           *meshGlue     // the P2P stack of the active network
	nets                           *api.Networks // the networks routes (and the daemon's side of them)
	nodes                          *api.Nodes    // the node directory routes
	traffic                        *traffic.Ring // in/out bytes of the mesh, ten minutes
	stopTraffic                    context.CancelFunc
	profileMgr, registry, vaultMgr *host.Manager
	pins                           *blockgc.Pins
	stopGC                         context.CancelFunc // ends the block collector
	folders                        *folderGlue        // the folder vaults' scanners
	logs                           *logRing           // the recent log records, for diagnostics reports
	diag                           *api.Diagnostics   // the diagnostics routes
	ln                             net.Listener
	srv                            *http.Server
	boot                           *http.Server // the bootstrap socket
	audit                          *audit.Ring
	metrics                        *metrics.Counters
	sampler                        *metrics.Sampler
	scrape                         *metrics.OpenListener // the opt-in open /metrics listener
	ownsRun                        bool                  // this process wrote the run files (a refused second daemon did not)
	started                        time.Time
}

// runDaemon starts the daemon and serves until SIGINT or SIGTERM, then shuts down gracefully.
func runDaemon(cfg Config, log *slog.Logger, out io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logs := newLogRing(logRingRecords, logRingBytes)
	d := &daemon{cfg: cfg, log: withLogRing(log, logs), logs: logs, out: out, started: time.Now()}
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
	if d.priv, d.peerID, err = identity.LoadOrCreate(d.store, d.keys, time.Now()); err != nil {
		return err
	}
	if err := importDeclarations(d.store, c); err != nil {
		return fmt.Errorf("import config.yaml: %w", err)
	}
	if d.blocks, err = blockstore.Open(filepath.Join(c.Node.DataDir, "blocks")); err != nil {
		return err
	}
	d.budget = &holdBudget{d: d, limit: int64(c.Storage.UntrustedBudget), log: d.log.With("subsystem", "replication")}
	if d.bus, err = natsbus.Start(c.Bus, d.log.With("subsystem", "bus")); err != nil {
		return fmt.Errorf("event bus: %w", err)
	}
	if d.audit, err = audit.Open(d.store, c.Audit); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	d.metrics = metrics.New(version)
	d.sampler = metrics.NewSampler(d.metrics, metrics.DefaultInterval)
	d.sampler.Start(context.Background())
	d.node, err = node.Start(node.Deps{Store: d.store, Blocks: d.blocks, Bus: d.bus, NodeID: d.peerID.String(),
		Logger: d.log.With("subsystem", "actors"), EventLogMax: c.Events.LogMax, Stats: d.metrics.ObserveCommit, Hooks: append(d.audit.Hooks(), &d.s3cache)})
	if err != nil {
		return err
	}
	if err := d.startAPI(); err != nil {
		return err
	}
	if err := d.startMesh(); err != nil {
		return err
	}
	d.startScrub() // scrub.go: the periodic block scrub, POST /vaults/:id/scrub, info's replicas
	if err := d.startWebhooks(); err != nil {
		return err
	}
	if err := writeRunInfo(c.Node.MetadataDir, d.apiURL(), d.started); err != nil {
		return fmt.Errorf("write %s: %w", runFile, err)
	}
	return nil
}

// startAPI registers the actor kinds the API needs and opens its listeners: the REST API and
// the bootstrap socket.
func (d *daemon) startAPI() error {
	c := d.cfg
	authMgr, err := d.node.Register(messages.AuthKind, auth.Load(auth.Config{
		MaxAttempts: c.API.Auth.LoginMaxAttempts, Window: c.API.Auth.LoginWindow.Std(), Lockout: c.API.Auth.LoginLockout.Std()}))
	if err != nil {
		return err
	}
	profileMgr, err := d.node.Register(messages.ProfileKind, profile.Load(d.peerID.String()))
	if err != nil {
		return err
	}
	d.profileMgr = profileMgr
	contactsMgr, err := d.node.Register(messages.ContactsKind, contacts.Load)
	if err != nil {
		return err
	}
	settingsMgr, err := d.node.Register(messages.SettingsKind, settings.Load)
	if err != nil {
		return err
	}
	verifier := auth.NewVerifier(d.store, host.SystemClock{}, d.node.Root, authMgr)
	d.ownsRun = true // past the store lock: the run files are ours
	adminOK, err := writeAdminToken(c.Node.MetadataDir)
	if err != nil {
		return err
	}
	if d.events, err = stream.NewBroadcaster(d.bus, d.log.With("subsystem", "events")); err != nil {
		return fmt.Errorf("event stream: %w", err)
	}
	d.metrics.SetSSEClients(d.events.Clients)
	if d.tls, err = tlsconf.Load(c.API, c.Node.MetadataDir, d.log.With("subsystem", "tls")); err != nil {
		return err
	}
	d.system = &api.System{
		Version:    version,
		Actors:     api.Actors{Root: d.node.Root, Limit: askLimit},
		Auth:       authMgr,
		Profile:    profileMgr,
		LoginDelay: loginDelay,
		Node:       &nodeInfo{d: d, verifier: verifier},
		Events:     stream.Handler(stream.Config{Keepalive: c.Events.Keepalive.Std()}, d.events, host.EventLog{Store: d.store}),
	}
	d.diag = d.diagnostics(c.Diagnostics.ReportsDir, d.logs)
	if err := d.startVaults(authMgr); err != nil {
		return err
	}
	if err := d.startRooms(); err != nil {
		return err
	}
	if err := d.startS3Keys(); err != nil { // s3keys.go
		return err
	}
	if d.s3, err = d.startS3(); err != nil { // s3.go
		return err
	}
	if d.folders, err = d.startFolders(); err != nil {
		return err
	}
	d.profile = &api.Profile{Actors: d.system.Actors, Profile: profileMgr, Contacts: contactsMgr, Settings: settingsMgr, Sealer: d.keys}
	if err := d.startDirectory(contactsMgr); err != nil {
		return err
	}
	if d.ln, err = net.Listen("tcp", c.API.EffectiveBind()); err != nil {
		return fmt.Errorf("api.bind %s: %w", c.API.EffectiveBind(), err)
	}
	if d.tls != nil {
		d.ln = tls.NewListener(d.ln, d.tls.Config())
	}
	router := api.NewRouter(d.routes(), api.RouterDeps{Logger: d.log.With("subsystem", "api"), Auth: verifier,
		AdminToken: adminOK, Observe: d.metrics.Middleware})
	scrape := api.RequireBearer(verifier, d.log.With("subsystem", "metrics"), d.metrics.Handler())
	d.srv = api.NewServer(metrics.Mount(router, scrape), d.log.With("subsystem", "api"))
	d.srv.ConnState = d.metrics.ConnState
	if d.scrape, err = metrics.ListenOpen(c.Metrics, d.metrics.Handler(), d.log.With("subsystem", "metrics")); err != nil {
		return err
	}
	if d.boot, _, err = listenBootstrap(c.Node.MetadataDir, d.system.TicketHandler()); err != nil {
		return err
	}
	return nil
}

// askLimit caps how long a request waits for an actor; loginDelay is the least time a failed
// login takes to answer.
const (
	askLimit   = 30 * time.Second
	loginDelay = 100 * time.Millisecond
)

// routes is every route the daemon serves, GET /openapi.json (their document) included.
func (d *daemon) routes() []api.Route {
	sys := d.system
	if sys == nil {
		sys = &api.System{Version: version}
	}
	prof := d.profile
	if prof == nil {
		prof = &api.Profile{}
	}
	routes := append(sys.Routes(), prof.Routes()...)
	routes = append(routes, (&api.Metrics{Sampler: d.sampler}).Routes()...)
	diag := d.diag
	if diag == nil {
		diag = &api.Diagnostics{}
	}
	routes = append(routes, diag.Routes()...)
	vaults := d.vaults
	if vaults == nil {
		vaults = &api.Vaults{}
	}
	routes = append(routes, vaults.Routes()...)
	rooms := &api.Rooms{}
	if d.rooms != nil {
		rooms = d.rooms.api
	}
	routes = append(routes, rooms.Routes()...)
	routes = append(routes, d.s3KeysRoutes()...) // s3keys.go: /s3/keys, /s3/permissions
	share, repl := &api.VaultSharing{}, &api.Replication{}
	if d.registry != nil {
		share = d.vaultSharing()
		repl = &api.Replication{Actors: d.system.Actors, Vault: d.vaultMgr, NodeID: d.peerID.String(), Mesh: replicationMesh{d: d}}
	}
	routes = append(routes, share.Routes()...)
	routes = append(routes, repl.Routes()...)
	routes = append(routes, d.folders.routes()...)
	routes = append(routes, (&api.Browse{Home: homeDir()}).Routes()...)
	aud := &api.Audit{}
	if d.store != nil {
		aud.Store = d.store
	}
	routes = append(routes, aud.Routes()...)
	nets := d.nets
	if nets == nil {
		nets = &api.Networks{}
	}
	routes = append(routes, nets.Routes()...)
	nodesAPI := d.nodes
	if nodesAPI == nil {
		nodesAPI = &api.Nodes{}
	}
	routes = append(routes, nodesAPI.Routes()...)
	hooks := d.hooks() // webhooks.go: POST and GET /hooks/:token
	if d.rooms != nil {
		hooks.Post = d.rooms.post // rooms.go: a webhook body becomes a chat message
	}
	routes = append(routes, hooks.Routes()...)
	all, err := openapi.Mount(routes, version)
	if err != nil {
		panic(err) // a route without its Doc: a programming error the route tests catch
	}
	return all
}

// apiURL is the base URL clients use.
func (d *daemon) apiURL() string {
	scheme := "http://"
	if d.tls != nil {
		scheme = "https://"
	}
	addr := d.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1" // listening on every address: this one works from this machine
	}
	return scheme + net.JoinHostPort(host, strconv.Itoa(addr.Port)) + api.Prefix
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
	if d.s3 != nil {
		fmt.Fprintf(d.out, "  S3:     http://%s (path-style, region %s)\n", d.s3.addr, d.s3.region)
	}
	if d.tls != nil {
		fmt.Fprintf(d.out, "  TLS:    %s certificate, SHA-256 %s\n", map[bool]string{true: "self-signed", false: "configured"}[d.tls.SelfSigned()], d.tls.Fingerprint())
	}
	if !d.system.Node.Status(context.Background()).PasswordSet {
		fmt.Fprintf(d.out, "Next: set a password: %s set-password -c %s\n", os.Args[0], d.cfg.path)
	} else {
		fmt.Fprintf(d.out, "Next: log in: curl -s %s/auth/login -H 'content-type: application/json' -d '{\"password\":\"…\"}'\n", d.apiURL())
	}
}

// shutdown drains requests, stops the actors (flushing the committer), then closes the bus and
// the store: every acknowledged write is durable before the store closes.
func (d *daemon) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownBudget-2*time.Second)
	defer cancel()
	var errs []error
	d.events.Close() // event streams end, so the API can drain
	if err := d.srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("drain API: %w", err))
	}
	_ = d.boot.Shutdown(ctx)
	if err := d.s3.stop(ctx); err != nil {
		errs = append(errs, err)
	}
	_ = d.scrape.Shutdown(ctx)
	d.folders.stop()
	d.mesh.close() // peers see this node go before its actors stop
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
	if d.ownsRun {
		removeRunFiles(d.cfg.Node.MetadataDir)
	}
	if d.boot != nil {
		_ = d.boot.Close()
	}
	if d.ln != nil {
		_ = d.ln.Close()
	}
	if d.events != nil {
		d.events.Close()
	}
	if d.sampler != nil {
		d.sampler.Stop()
	}
	if d.stopGC != nil {
		d.stopGC()
	}
	_ = d.scrape.Close()
	d.folders.stop()
	d.mesh.close()
	if d.stopTraffic != nil {
		d.stopTraffic()
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
