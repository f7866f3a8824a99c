package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/bus/natsbus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/metrics"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/swarmkey"
	"github.com/meshhold/meshhold/persist/keyring"
)

// Config is config.yaml. Each section is its package's own Config with defaults and Validate;
// docs/config.md documents every key.
type Config struct {
	SwarmKey         messages.Secret   `yaml:"swarm_key"`
	BootstrapPeers   []string          `yaml:"bootstrap_peers"`
	Node             NodeConfig        `yaml:"node"`
	API              api.Config        `yaml:"api"`
	Bus              natsbus.Config    `yaml:"bus"`
	AtRest           keyring.Config    `yaml:"at_rest_encryption"`
	Events           EventsConfig      `yaml:"events"`
	Audit            audit.Config      `yaml:"audit"`
	Metrics          metrics.Config    `yaml:"metrics"`
	Log              LogConfig         `yaml:"log"`
	Vaults           []VaultDecl       `yaml:"vaults"`
	Webhooks         []WebhookDecl     `yaml:"webhooks"`
	OutboundWebhooks []OutboundWebhook `yaml:"outbound_webhooks"`
	PortForwards     []PortForward     `yaml:"port_forwards"`
	Diagnostics      DiagnosticsConfig `yaml:"diagnostics"`
	Storage          StorageConfig     `yaml:"storage"`

	path string // the file it was loaded from
}

// NodeConfig is the `node:` section: who this node is and where it keeps its data.
type NodeConfig struct {
	Name        string   `yaml:"name"`
	DataDir     string   `yaml:"data_dir"`
	MetadataDir string   `yaml:"metadata_dir"`
	ListenAddrs []string `yaml:"listen_addrs"`
	Reliable    bool     `yaml:"reliable"`
	// MDNS finds and connects to nodes of the same network on the LAN.
	MDNS bool `yaml:"mdns"`
	// PublicIPURL, when set, is asked for this node's public address (GET /system/nat).
	PublicIPURL string `yaml:"public_ip_url"`
	// S3 is the S3 gateway's listener (s3.go).
	S3 S3Config `yaml:"s3"`
}

// EventsConfig is the `events:` section: the node's event log and event streams.
type EventsConfig struct {
	LogMax    uint64            `yaml:"log_max"`
	Keepalive messages.Duration `yaml:"keepalive"`
}

// StorageConfig is the `storage:` section: when unneeded block files are collected, how much
// this node stores for vaults it holds without their key, and how its blocks are scrubbed.
type StorageConfig struct {
	GCGrace       messages.Duration `yaml:"gc_grace"`
	GCInterval    messages.Duration `yaml:"gc_interval"`
	SweepInterval messages.Duration `yaml:"sweep_interval"`
	// UntrustedBudget bounds the block bytes held for untrusted vaults (docs/replication.md).
	UntrustedBudget messages.Size `yaml:"untrusted_budget"`
	// ScrubInterval is how often each held vault's blocks are re-read and verified.
	ScrubInterval messages.Duration `yaml:"scrub_interval"`
	// ScrubRate bounds the scrubber's reads, in bytes per second; 0: no bound.
	ScrubRate messages.Size `yaml:"scrub_rate"`
}

func (s StorageConfig) validate() error {
	switch {
	case s.GCGrace < messages.Duration(time.Minute):
		return errors.New("storage.gc_grace: at least 1m (uploads in flight must outlive it)")
	case s.GCInterval < messages.Duration(time.Second):
		return errors.New("storage.gc_interval: at least 1s")
	case s.SweepInterval < s.GCInterval:
		return errors.New("storage.sweep_interval: at least storage.gc_interval")
	case s.UntrustedBudget < 0:
		return errors.New("storage.untrusted_budget: must not be negative (0 holds no untrusted vault's blocks)")
	case s.ScrubInterval < messages.Duration(time.Minute):
		return errors.New("storage.scrub_interval: at least 1m")
	case s.ScrubRate < 0:
		return errors.New("storage.scrub_rate: must not be negative (0: no bound)")
	}
	return nil
}

// DiagnosticsConfig is the `diagnostics:` section: where problem reports are kept.
type DiagnosticsConfig struct {
	ReportsDir string `yaml:"reports_dir"` // default <metadata_dir>/reports
}

// LogConfig is the `log:` section; the --log-level and --log-format flags override it.
type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// defaultConfig is every default, with folders relative to the config file's folder.
func defaultConfig(path string) Config {
	dir := filepath.Dir(path)
	host, _ := os.Hostname()
	c := Config{
		Node: NodeConfig{
			Name:        host,
			DataDir:     filepath.Join(dir, "data"),
			MetadataDir: dir,
			ListenAddrs: []string{"/ip4/0.0.0.0/tcp/7777"},
			Reliable:    true,
		},
		API:     api.Defaults(),
		Events:  EventsConfig{LogMax: 100_000, Keepalive: messages.Duration(20 * time.Second)},
		Metrics: metrics.Defaults(),
		Audit:   audit.Defaults(),
		Storage: StorageConfig{GCGrace: messages.Duration(time.Hour), GCInterval: messages.Duration(10 * time.Minute),
			SweepInterval: messages.Duration(6 * time.Hour), UntrustedBudget: 20 << 30,
			ScrubInterval: messages.Duration(24 * time.Hour), ScrubRate: 32 << 20},
		Log:  LogConfig{Level: "info", Format: "console"},
		path: path,
	}
	c.Bus.Defaults()
	c.AtRest.Enabled = true
	return c
}

// DefaultConfigPath is ~/.meshhold/config.yaml.
func DefaultConfigPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".meshhold", "config.yaml")
	}
	return filepath.Join(home, ".meshhold", "config.yaml")
}

// loadConfig reads path, creating it from the commented template on first start. It refuses
// unknown keys and bad values, naming the key.
func loadConfig(path string, log *slog.Logger) (Config, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if src, err = createDefaultConfig(path); err != nil {
			return Config{}, err
		}
		log.Info("created a config file with the defaults", "path", path)
	} else if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return parseConfig(path, src)
}

// parseConfig decodes src over the defaults and validates it.
func parseConfig(path string, src []byte) (Config, error) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // folders default to the file's folder: make it absolute once
	}
	c := defaultConfig(path)
	if err := decodeStrict(src, &c); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	if err := c.finish(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// finish applies derived defaults, then validates every section.
func (c *Config) finish() error {
	dir := filepath.Dir(c.path)
	c.Node.DataDir = resolvePath(dir, c.Node.DataDir)
	c.Node.MetadataDir = resolvePath(dir, c.Node.MetadataDir)
	if c.Diagnostics.ReportsDir == "" {
		c.Diagnostics.ReportsDir = filepath.Join(c.Node.MetadataDir, "reports")
	}
	c.Diagnostics.ReportsDir = resolvePath(dir, c.Diagnostics.ReportsDir)
	c.Bus.Defaults()
	c.AtRest.Defaults(c.Node.MetadataDir)
	c.AtRest.KeyFile = resolvePath(dir, c.AtRest.KeyFile)
	checks := []func() error{c.validateMesh, c.validateNode, c.API.Validate, c.Bus.Validate, c.AtRest.Validate,
		c.Events.validate, c.Storage.validate, c.Audit.Validate, c.Metrics.Validate, c.Log.validate, c.validateDecls}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// resolvePath expands ~ and makes p absolute relative to dir (the config file's folder).
func resolvePath(dir, p string) string {
	if p == "" {
		return p
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, strings.TrimPrefix(p[1:], "/"))
		}
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return filepath.Clean(p)
}

func (c *Config) validateMesh() error {
	if c.SwarmKey.IsSet() {
		if _, err := swarmkey.Parse(c.SwarmKey.Reveal()); err != nil {
			return fmt.Errorf("swarm_key: %w", err)
		}
	}
	for i, a := range c.BootstrapPeers {
		if _, err := peer.AddrInfoFromString(a); err != nil {
			return fmt.Errorf("bootstrap_peers[%d]: %q is not a multiaddr ending in /p2p/<peer id>: %v", i, a, err)
		}
	}
	return nil
}

func (c *Config) validateNode() error {
	n := c.Node
	switch {
	case strings.TrimSpace(n.Name) == "":
		return errors.New("node.name: must not be empty")
	case len(n.Name) > 64:
		return errors.New("node.name: at most 64 characters")
	case n.DataDir == "":
		return errors.New("node.data_dir: must not be empty")
	case n.MetadataDir == "":
		return errors.New("node.metadata_dir: must not be empty")
	}
	for i, a := range n.ListenAddrs {
		if _, err := multiaddr.NewMultiaddr(a); err != nil {
			return fmt.Errorf("node.listen_addrs[%d]: %q is not a multiaddr (e.g. /ip4/0.0.0.0/tcp/7777): %v", i, a, err)
		}
	}
	return nil
}

func (e EventsConfig) validate() error {
	switch {
	case e.LogMax < 100:
		return errors.New("events.log_max: at least 100")
	case e.Keepalive < messages.Duration(time.Second) || e.Keepalive > messages.Duration(10*time.Minute):
		return errors.New("events.keepalive: between 1s and 10m")
	}
	return nil
}

func (l LogConfig) validate() error {
	if _, err := parseLevel(l.Level); err != nil {
		return fmt.Errorf("log.level: %w", err)
	}
	if l.Format != "console" && l.Format != "json" {
		return fmt.Errorf("log.format: %q is not console or json", l.Format)
	}
	return nil
}
