package folder_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/actors/vault/folder"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/http/files"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/blockstore"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

const nodeID = "12D3KooWfolder"

// testCfg settles fast and never rescans on its own.
var testCfg = folder.Config{Debounce: 50 * time.Millisecond, Rescan: time.Hour}

// rig is one node (bbolt, block store, the vault kinds as the daemon registers them) and a
// folder vault "f1" whose folder is dir.
type rig struct {
	t       *testing.T
	dir     string
	node    *node.Node
	bus     *membus.Bus
	reg     *host.Manager
	vaults  *host.Manager
	blocks  *blockstore.Store
	pins    *blockgc.Pins
	key     messages.VaultKey
	cfg     folder.Config
	folders *folder.Folders
}

func newRig(t *testing.T) *rig {
	t.Helper()
	tmp := t.TempDir()
	db, err := boltdb.Open(filepath.Join(tmp, boltdb.FileName), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bs, err := blockstore.Open(filepath.Join(tmp, "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, dir: filepath.Join(tmp, "folder"), bus: membus.New(), blocks: bs, pins: blockgc.NewPins(), key: vaultcrypt.NewKey(), cfg: testCfg}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if r.node, err = node.Start(node.Deps{Store: db, Blocks: bs, Bus: r.bus, NodeID: nodeID, Logger: quiet()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r.folders != nil {
			r.folders.Stop()
		}
		r.node.Stop(context.Background())
	})
	r.reg, _ = r.node.Register(messages.VaultsKind, vault.LoadRegistry)
	r.vaults, _ = r.node.Register(messages.VaultKind, vault.Load(vault.Deps{NodeID: nodeID,
		Unseal: func(string, []byte) ([]byte, error) { return r.key[:], nil }}))
	return r
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// create makes a vault whose folder is dir ("" for none).
func (r *rig) create(id, dir string) {
	r.t.Helper()
	r.ask(r.reg, messages.RegistryID, messages.CreateVault{ID: id, Name: "vault " + id, Folder: dir, SealedKey: []byte("sealed")})
}

// start runs the node's folder scanners, as the daemon does.
func (r *rig) start() {
	r.t.Helper()
	var err error
	r.folders, err = folder.NewFolders(r.cfg, folder.Deps{Root: r.node.Root, Vaults: r.vaults, Registry: r.reg,
		Limit: 5 * time.Second, Blocks: r.blocks, Pins: r.pins, NodeID: nodeID, Logger: quiet()})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.folders.Sync(context.Background()); err != nil {
		r.t.Fatal(err)
	}
}

// restart stops the scanners and starts them again, as a daemon restart would.
func (r *rig) restart() {
	r.t.Helper()
	r.folders.Stop()
	r.start()
}

func (r *rig) ask(m *host.Manager, id string, msg any) any {
	r.t.Helper()
	res, err := host.AskChild[any](context.Background(), r.node.Root, m, id, msg, 5*time.Second)
	if e, ok := res.(error); ok {
		err = e
	}
	if err != nil {
		r.t.Fatalf("%T: %v", msg, err)
	}
	return res
}

// stat is the vault's shown head of p in f1, deleted heads included.
func (r *rig) stat(p string) (messages.FileInfo, error) {
	return host.AskChild[messages.FileInfo](context.Background(), r.node.Root, r.vaults, "f1", messages.StatFile{Path: p, IncludeDeleted: true}, 5*time.Second)
}

// content reads the shown head of p back from the block store.
func (r *rig) content(p string) []byte {
	r.t.Helper()
	rd, err := host.AskChild[messages.Readable](context.Background(), r.node.Root, r.vaults, "f1", messages.OpenVersion{Path: p}, 5*time.Second)
	if err != nil {
		r.t.Fatalf("open %s: %v", p, err)
	}
	rdr, err := files.NewReader(context.Background(), r.blocks, rd.Manifest)
	if err != nil {
		r.t.Fatal(err)
	}
	defer rdr.Close()
	b, err := io.ReadAll(rdr)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// live lists f1's live paths.
func (r *rig) live() []string {
	r.t.Helper()
	list := r.ask(r.vaults, "f1", messages.ListFiles{}).(messages.FileList)
	var paths []string
	for _, f := range list.Files {
		paths = append(paths, f.Path)
	}
	return paths
}

// write creates or replaces a file of the folder, its directories included.
func (r *rig) write(rel, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// scanned waits for f1's full scan to finish and returns its status.
func (r *rig) scanned() folder.Status {
	r.t.Helper()
	var st folder.Status
	r.eventually("the full scan", func() bool {
		var ok bool
		st, ok = r.folders.Status("f1")
		return ok && !st.Active && st.FinishedAtMs > 0
	})
	return st
}

// hasContent waits until f1's shown head of p is live with content.
func (r *rig) hasContent(p, content string) messages.FileInfo {
	r.t.Helper()
	var info messages.FileInfo
	r.eventually(p+" holding "+content, func() bool {
		var err error
		info, err = r.stat(p)
		return err == nil && !info.Deleted && bytes.Equal(r.content(p), []byte(content))
	})
	return info
}

// isDeleted waits until f1's shown head of p is a tombstone.
func (r *rig) isDeleted(p string) {
	r.t.Helper()
	r.eventually(p+" deleted", func() bool {
		info, err := r.stat(p)
		return err == nil && info.Deleted
	})
}

// eventually polls cond until it holds, failing the test after a deadline.
func (r *rig) eventually(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			st, _ := r.folders.Status("f1")
			r.t.Fatalf("timed out waiting for %s; scan status %+v", what, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
