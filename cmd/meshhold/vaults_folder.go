package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/meshhold/meshhold/actors/vault/folder"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
)

// folderGlue is the daemon's folder vaults (docs/folder-vaults.md): their scanners, hook and route.
type folderGlue struct{ f *folder.Folders }

// startFolders starts the folder vaults' scanners and hooks API changes into their folders (after startVaults).
func (d *daemon) startFolders() (*folderGlue, error) {
	v := d.vaults
	base := filepath.Dir(d.cfg.path)
	f, err := folder.NewFolders(folder.Config{}, folder.Deps{Root: d.node.Root, Vaults: v.Vault, Registry: v.Registry,
		Limit: askLimit, Blocks: d.blocks, Pins: d.pins, Reclaim: v.Files.Reclaim, NodeID: d.peerID.String(),
		MaxUpload: v.Files.MaxUpload, Logger: d.log.With("subsystem", "folders"),
		Resolve: func(p string) string { return resolvePath(base, p) }})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.Sync(ctx); err != nil {
		f.Stop()
		return nil, fmt.Errorf("folder vaults: %w", err)
	}
	if err := f.Follow(d.bus); err != nil {
		f.Stop()
		return nil, fmt.Errorf("folder vaults: %w", err)
	}
	prev := v.Files.Written
	v.Files.Written = func(ctx context.Context, vaultID string, info messages.FileInfo) {
		if prev != nil {
			prev(ctx, vaultID, info)
		}
		f.Written(ctx, vaultID, info)
	}
	return &folderGlue{f: f}, nil
}

// routes is GET /vaults/{vault_id}/scan-status; a nil glue answers 404 for every vault.
func (g *folderGlue) routes() []api.Route { return api.ScanRoutes(g.status) }

// status is a vault's scan progress, false when it has no folder.
func (g *folderGlue) status(vaultID string) (api.ScanStatus, bool) {
	if g == nil {
		return api.ScanStatus{}, false
	}
	st, ok := g.f.Status(vaultID)
	if !ok {
		return api.ScanStatus{}, false
	}
	return api.ScanStatus{Active: st.Active, Walked: st.Walked, Ingested: st.Ingested, Deleted: st.Deleted, Errors: st.Errors,
		LastError: st.LastError, StartedAtMs: st.StartedAtMs, FinishedAtMs: st.FinishedAtMs}, true
}

// stop ends every scanner: after the API drained, before the node stops; idempotent and nil-safe.
func (g *folderGlue) stop() {
	if g != nil {
		g.f.Stop()
	}
}
