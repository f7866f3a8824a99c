package vault_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/blockstore"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// A block that pruning left unreferenced is deleted by the collector once its grace period is
// over; a block another file still references is kept, and so is a pinned one.
func TestCollectorDeletesOnlyUnneededBlocks(t *testing.T) {
	dir := t.TempDir()
	db, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bs, err := blockstore.Open(filepath.Join(dir, "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := node.Start(node.Deps{Store: db, Blocks: bs, NodeID: "n", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop(context.Background())
	reg, _ := n.Register(messages.VaultsKind, vault.LoadRegistry)
	key := vaultcrypt.NewKey()
	vaults, _ := n.Register(messages.VaultKind, vault.Load(vault.Deps{NodeID: "n",
		Unseal: func(string, []byte) ([]byte, error) { return key[:], nil }}))
	ctx := context.Background()
	ask := func(m *host.Manager, id string, msg any) any {
		t.Helper()
		res, err := host.AskChild[any](ctx, n.Root, m, id, msg, 5*time.Second)
		if err != nil {
			t.Fatalf("%T: %v", msg, err)
		}
		return res
	}
	ask(reg, messages.RegistryID, messages.CreateVault{ID: "v1", Name: "v", SealedKey: []byte("sealed"), Policy: messages.VaultPolicy{KeepVersions: 1}})
	put := func(path, content string) messages.BlockRef {
		ct, ref := vaultcrypt.SealBlock(key, []byte(content))
		if err := bs.Put(persist.Address(ref.Addr), ct); err != nil {
			t.Fatal(err)
		}
		m := messages.Manifest{Blocks: []messages.BlockRef{ref}, Size: int64(len(content)), ContentHash: vaultcrypt.ContentHash(key, []byte(content))}
		ask(vaults, "v1", messages.CommitUpload{Path: path, Manifest: m})
		return ref
	}
	old := put("/a", "first content of a")
	shared := put("/b", "shared content")
	put("/a", "second content of a") // keep_versions 1: the first version is pruned
	put("/c", "shared content")      // the same block as /b
	pinned := put("/d", "pinned soon")
	put("/d", "d replaced") // d's first block becomes an orphan too
	pins := blockgc.NewPins()
	pins.Pin(pinned.Addr)
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	gc, err := blockgc.New(bs, pins, vault.GCCatalog{Store: db, Root: n.Root, Vaults: vaults}, blockgc.Config{Grace: time.Hour, Now: later, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	st, err := gc.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bs.Get(persist.Address(old.Addr)); !errors.Is(err, persist.ErrBlockMissing) {
		t.Fatalf("the pruned block survived the collector (%v): %s", err, st)
	}
	for name, a := range map[string]messages.BlockAddr{"shared": shared.Addr, "pinned": pinned.Addr} {
		if _, err := bs.Get(persist.Address(a)); err != nil {
			t.Fatalf("the %s block was deleted: %v (%s)", name, err, st)
		}
	}
	if _, err := host.AskChild[messages.FileInfo](ctx, n.Root, vaults, "v1", messages.StatFile{Path: "/b"}, time.Second); err != nil {
		t.Fatal(err)
	}
}
