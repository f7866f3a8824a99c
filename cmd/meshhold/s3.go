package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/s3"
	"github.com/meshhold/meshhold/messages"
)

// S3Config is `node.s3`: the S3 gateway's own listener (path-style addressing; a bucket is a
// vault's s3-alias). Zero values take the defaults below.
type S3Config struct {
	Enabled     bool          `yaml:"enabled"`
	ListenAddr  string        `yaml:"listen_addr"`   // default 127.0.0.1:3900
	Region      string        `yaml:"region"`        // signing region; default "meshhold"
	MaxPutBytes messages.Size `yaml:"max_put_bytes"` // largest PutObject body; default 64 MiB
}

// DefaultS3ListenAddr is where the gateway listens unless node.s3.listen_addr says otherwise.
const DefaultS3ListenAddr = "127.0.0.1:3900"

// withDefaults fills the zero fields and checks the others.
func (c S3Config) withDefaults() (S3Config, error) {
	if c.ListenAddr == "" {
		c.ListenAddr = DefaultS3ListenAddr
	}
	if c.Region == "" {
		c.Region = s3.DefaultRegion
	}
	if c.MaxPutBytes == 0 {
		c.MaxPutBytes = s3.DefaultMaxPutBytes
	}
	if c.MaxPutBytes < 0 {
		return c, errors.New("node.s3.max_put_bytes: must be positive")
	}
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		return c, fmt.Errorf("node.s3.listen_addr %q: %w", c.ListenAddr, err)
	}
	return c, nil
}

// s3Listener is the running gateway: its server and the address it listens on.
type s3Listener struct {
	srv    *http.Server
	addr   net.Addr
	region string
}

// startS3 starts the S3 gateway when node.s3.enabled, after startVaults and startS3Keys;
// nil when it is off.
func (d *daemon) startS3() (*s3Listener, error) {
	c, err := d.cfg.Node.S3.withDefaults()
	if err != nil || !c.Enabled {
		return nil, err
	}
	if d.vaults == nil || d.vaults.Files == nil {
		return nil, errors.New("node.s3: the vaults are not started")
	}
	log := d.log.With("subsystem", "s3")
	gw, err := s3.New(s3.Config{Actors: d.vaults.Actors, Registry: d.vaults.Registry, Vault: d.vaults.Vault,
		VaultsGen: d.s3cache.vaultsGeneration, Files: d.vaults.Files, NodeID: d.peerID.String(), Region: c.Region, MaxPutBytes: int64(c.MaxPutBytes),
		Lookup: d.s3Lookup, Allowed: d.s3Allowed, GrantAll: d.s3GrantAll, Sealer: d.keys, Decls: d.vaults.Decls, Logger: log})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("node.s3.listen_addr %s: %w", c.ListenAddr, err)
	}
	srv := api.NewServer(gw, log)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("s3 listener stopped", "err", err)
		}
	}()
	log.Info("s3 gateway listening", "addr", ln.Addr().String(), "region", c.Region)
	return &s3Listener{srv: srv, addr: ln.Addr(), region: c.Region}, nil
}

// stop drains the gateway's requests; a nil listener (gateway off) is a no-op.
func (l *s3Listener) stop(ctx context.Context) error {
	if l == nil {
		return nil
	}
	if err := l.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("drain S3: %w", err)
	}
	return nil
}
