package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/configfile"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// vaultDecls keeps config.yaml's `vaults` list in step with the API (api.VaultDecls): the
// declaration of each vault — id, name, folder, initial policy — never its key.
type vaultDecls struct{ n *nodeInfo }

func (v vaultDecls) Declare(_ context.Context, m messages.VaultMeta, p messages.VaultPolicy) error {
	item := map[string]any{"id": m.ID, "name": m.Name}
	if m.Folder != "" {
		item["path"] = m.Folder
	}
	if p.ReplicationFactor > 0 {
		item["replication_factor"] = p.ReplicationFactor
	}
	if p.HardQuota > 0 {
		item["hard_quota"] = p.HardQuota
	}
	if p.KeepVersions > 0 {
		item["keep_versions"] = p.KeepVersions
	}
	if p.KeepDeletedForMs > 0 {
		item["keep_deleted_for"] = (time.Duration(p.KeepDeletedForMs) * time.Millisecond).String()
	}
	return v.n.editConfig(func(f *configfile.File) error { return f.SetListItem([]string{"vaults"}, "id", m.ID, item) })
}

func (v vaultDecls) Forget(_ context.Context, id string) error {
	return v.n.editConfig(func(f *configfile.File) error { return f.DeleteListItem([]string{"vaults"}, "id", id) })
}

// editConfig applies edit to config.yaml through its syntax tree and saves it atomically.
func (n *nodeInfo) editConfig(edit func(*configfile.File) error) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	f, err := configfile.Load(n.d.cfg.path)
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	if err := edit(f); err != nil {
		return fmt.Errorf("edit config: %w", err)
	}
	if err := f.Save(); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

// importVaults creates the vaults config.yaml declares that the registry does not know (with a
// fresh key, sealed with the master key) and renames the ones whose declared name changed: what
// config declares wins. A vault the registry holds but config does not declare is kept (and
// logged): dropping a vault's key because a line went missing would lose data.
func (d *daemon) importVaults(ctx context.Context, registry *host.Manager) error {
	a := d.system.Actors
	list, err := host.AskChild[messages.VaultList](ctx, a.Root, registry, messages.RegistryID, messages.ListVaults{}, a.Limit)
	if err != nil {
		return err
	}
	known := map[string]messages.VaultMeta{}
	for _, m := range list.Vaults {
		known[m.ID] = m
	}
	declared := map[string]bool{}
	for _, v := range d.cfg.Vaults {
		declared[v.ID] = true
		if m, ok := known[v.ID]; ok {
			if m.Name != v.Name {
				name := v.Name
				if _, err := host.AskChild[messages.VaultMeta](ctx, a.Root, registry, messages.RegistryID, messages.UpdateVaultMeta{ID: v.ID, Name: &name}, a.Limit); err != nil {
					return fmt.Errorf("vaults[%s]: rename: %w", v.ID, err)
				}
			}
			continue
		}
		key := vaultcrypt.NewKey()
		sealed, err := d.keys.Seal(messages.VaultKeyPurpose(v.ID), key[:])
		if err != nil {
			return err
		}
		policy := messages.VaultPolicy{ReplicationFactor: v.ReplicationFactor, HardQuota: int64(v.HardQuota),
			KeepVersions: v.KeepVersions, KeepDeletedForMs: time.Duration(v.KeepDeletedFor).Milliseconds()}
		_, err = host.AskChild[messages.VaultMeta](ctx, a.Root, registry, messages.RegistryID,
			messages.CreateVault{ID: v.ID, Name: v.Name, Folder: v.Path, SealedKey: sealed, Policy: policy}, a.Limit)
		if err != nil && !errors.Is(err, messages.ErrConflict) {
			return fmt.Errorf("vaults[%s]: create: %w", v.ID, err)
		}
		d.log.Info("vault created from config.yaml", "vault", v.ID, "name", v.Name)
	}
	for id, m := range known {
		if !declared[id] {
			d.log.Warn("a vault is not declared in config.yaml; keeping it", "vault", id, "name", m.Name)
		}
	}
	return nil
}

// startVaults registers the vault kinds, imports config.yaml's vaults and builds their routes.
func (d *daemon) startVaults(authMgr *host.Manager) error {
	registry, err := d.node.Register(messages.VaultsKind, vault.LoadRegistry)
	if err != nil {
		return err
	}
	d.registry = registry
	vaultMgr, err := d.node.Register(messages.VaultKind, vault.Load(vault.Deps{Unseal: d.keys.Open, NodeID: d.peerID.String()}))
	if err != nil {
		return err
	}
	d.vaultMgr = vaultMgr
	d.pins = blockgc.NewPins()
	gc, err := blockgc.New(d.blocks, d.pins, vault.GCCatalog{Store: d.store, Root: d.node.Root, Vaults: vaultMgr},
		blockgc.Config{Grace: d.cfg.Storage.GCGrace.Std(), Interval: d.cfg.Storage.GCInterval.Std(),
			SweepInterval: d.cfg.Storage.SweepInterval.Std(), Logger: d.log.With("subsystem", "blockgc")})
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	gcCtx, stopGC := context.WithCancel(context.Background())
	d.stopGC = stopGC
	go gc.Run(gcCtx)
	ni, _ := d.system.Node.(*nodeInfo)
	d.vaults = &api.Vaults{Actors: d.system.Actors, Registry: registry, Vault: vaultMgr, Auth: authMgr, Sealer: d.keys,
		Decls: vaultDecls{n: ni}, NodeID: d.peerID.String(),
		Files: &api.FileDeps{Blocks: d.blocks, ReadBlocks: peerBlocks{Store: d.blocks, d: d}, Pins: d.pins, Reclaim: gc}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return d.importVaults(ctx, registry)
}

// homeDir is where the folder picker starts.
func homeDir() string {
	h, err := os.UserHomeDir()
	if err != nil {
		return "/"
	}
	return h
}
