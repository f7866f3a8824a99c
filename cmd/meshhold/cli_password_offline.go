package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/actors/auth"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/identity"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/keyring"
)

// offlineLockTimeout is how long set-password waits for the store's lock: a daemon holds it
// for as long as it runs, so waiting longer gains nothing.
const offlineLockTimeout = 500 * time.Millisecond

// setPasswordOffline writes the password into the stopped daemon's store through the auth
// actor, exactly as the daemon would; boltdb.ErrLocked when a daemon holds the store.
func setPasswordOffline(ctx context.Context, cfg Config, pw string) (err error) {
	c := cfg.Node
	if err := os.MkdirAll(c.MetadataDir, 0o700); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	store, err := boltdb.Open(filepath.Join(c.MetadataDir, boltdb.FileName), boltdb.Options{LockTimeout: offlineLockTimeout})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	keys, err := keyring.Open(cfg.AtRest, store)
	if err != nil {
		return fmt.Errorf("at-rest encryption: %w", err)
	}
	_, peerID, err := identity.LoadOrCreate(store, keys, time.Now())
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ring, err := audit.Open(store, cfg.Audit) // a password set offline is audited too
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	n, err := node.Start(node.Deps{Store: store, NodeID: peerID.String(), Logger: log, Hooks: ring.Hooks()})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, n.Stop(context.Background())) }()
	a := cfg.API.Auth
	mgr, err := n.Register(messages.AuthKind, auth.Load(auth.Config{MaxAttempts: a.LoginMaxAttempts, Window: a.LoginWindow.Std(), Lockout: a.LoginLockout.Std()}))
	if err != nil {
		return err
	}
	return api.SetPassword(ctx, api.Actors{Root: n.Root, Limit: askLimit}, mgr, pw, "cli")
}
