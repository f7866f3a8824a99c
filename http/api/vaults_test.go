package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/bus/membus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/keyring"
)

// vaultsRig is a real node over bbolt with the vault kinds registered as the daemon registers
// them, the vaults routes behind the real router, and fakes for config.yaml and the scrubber.
type vaultsRig struct {
	t      *testing.T
	routes *api.Vaults
	h      http.Handler
	mu     sync.Mutex
	decls  []string // vault ids declared to config.yaml
	queued []string // vaults handed to the scrubber
}

func newVaultsRig(t *testing.T) *vaultsRig {
	t.Helper()
	dir := t.TempDir()
	store, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Open(keyring.Config{Enabled: true, Provider: keyring.ProviderFile, KeyFile: filepath.Join(dir, "master.key")}, store)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := node.Start(node.Deps{Store: store, Bus: membus.New(), NodeID: profPeer, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	r := &vaultsRig{t: t}
	r.routes = &api.Vaults{Actors: api.Actors{Root: n.Root, Limit: profAskLimit}, Sealer: keys, NodeID: profPeer, Decls: rigDecls{r}}
	if r.routes.Registry, err = n.Register(messages.VaultsKind, vault.LoadRegistry); err != nil {
		t.Fatal(err)
	}
	if r.routes.Vault, err = n.Register(messages.VaultKind, vault.Load(vault.Deps{Unseal: keys.Open, NodeID: profPeer})); err != nil {
		t.Fatal(err)
	}
	r.h = api.NewRouter(r.routes.Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	t.Cleanup(func() {
		if err := n.Stop(context.Background()); err != nil {
			t.Error(err)
		}
		_ = store.Close()
	})
	return r
}

type rigDecls struct{ r *vaultsRig }

func (d rigDecls) Declare(_ context.Context, m messages.VaultMeta, _ messages.VaultPolicy) error {
	d.r.mu.Lock()
	defer d.r.mu.Unlock()
	d.r.decls = append(d.r.decls, m.ID)
	return nil
}

// Forget fails as config.yaml does for an id it does not list.
func (d rigDecls) Forget(_ context.Context, id string) error {
	d.r.mu.Lock()
	defer d.r.mu.Unlock()
	if !slices.Contains(d.r.decls, id) {
		return fmt.Errorf("%w: config.yaml declares no vault %s", messages.ErrNotFound, id)
	}
	return nil
}

func (r *vaultsRig) do(method, path, body string) (int, map[string]any) {
	r.t.Helper()
	return profDo(r.t, r.h, method, path, body, "Bearer "+apitest.GoodToken)
}

// ask sends msg to the registry and fails the test on an error.
func (r *vaultsRig) registry(msg any) messages.VaultMeta {
	r.t.Helper()
	m, err := host.AskChild[messages.VaultMeta](context.Background(), r.routes.Actors.Root, r.routes.Registry, messages.RegistryID, msg, profAskLimit)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

// An untrusted vault lists as key_state "untrusted" without a name; PATCH roles ["hold"] and
// [] opt this node in and out of holding it, and never declare it in config.yaml; media and
// s3 need the key.
func TestUntrustedVaultJSONAndHoldRole(t *testing.T) {
	r := newVaultsRig(t)
	r.registry(messages.ObserveVault{ID: "u1", Hold: true})
	code, list := r.do("GET", "/vaults", "")
	if code != 200 || !strings.Contains(fmt.Sprint(list), "key_state:untrusted") {
		t.Fatalf("GET /vaults: %d %v", code, list)
	}
	code, v := r.do("GET", "/vaults/u1", "")
	if code != 200 || v["key_state"] != "untrusted" || v["name"] != "" || v["hold"] != true || fmt.Sprint(v["roles"]) != "[hold]" {
		t.Fatalf("GET /vaults/u1: %d %v", code, v)
	}
	code, v = r.do("PATCH", "/vaults/u1", `{"roles":[]}`)
	if code != 200 || v["hold"] == true || fmt.Sprint(v["roles"]) != "[]" || v["key_state"] != "untrusted" {
		t.Fatalf("PATCH roles []: %d %v", code, v)
	}
	if code, v = r.do("PATCH", "/vaults/u1", `{"roles":["hold"],"name":"Their photos"}`); code != 200 || v["hold"] != true || v["name"] != "Their photos" {
		t.Fatalf("PATCH roles [hold]: %d %v", code, v)
	}
	if code, v = r.do("PATCH", "/vaults/u1", `{"roles":["s3"]}`); code != 409 {
		t.Fatalf("PATCH roles [s3]: %d %v", code, v)
	}
	if code, v = r.do("PATCH", "/vaults/u1", `{"roles":["keep"]}`); code != 400 || !strings.Contains(fmt.Sprint(v["error"]), "hold") {
		t.Fatalf("PATCH roles [keep]: %d %v", code, v)
	}
	if len(r.decls) != 0 {
		t.Fatalf("an untrusted vault was declared in config.yaml: %v", r.decls)
	}
	// Deleting it forgets it and purges its catalog; config.yaml never listed it.
	if code, body := r.do("DELETE", "/vaults/u1", ""); code != 204 {
		t.Fatalf("DELETE an untrusted vault: %d %v", code, body)
	}
	if code, _ := r.do("GET", "/vaults/u1", ""); code != 404 {
		t.Fatalf("GET after DELETE: %d", code)
	}
	// A trusted vault has no "hold" role.
	code, tv := r.do("POST", "/vaults", `{"name":"Mine"}`)
	if code != 201 || tv["key_state"] != "trusted" {
		t.Fatalf("create: %d %v", code, tv)
	}
	if code, v = r.do("PATCH", "/vaults/"+tv["id"].(string), `{"roles":["hold"]}`); code != 400 {
		t.Fatalf("PATCH a trusted vault's roles [hold]: %d %v", code, v)
	}
}

// GET /vaults/:id/info shows the replicas Replicas names (this node alone without it), the
// last scrub and the last pull; POST /vaults/:id/scrub queues a pass (202), 404 for an
// unknown vault, 503 without a scrubber.
func TestVaultInfoReplicasAndScrub(t *testing.T) {
	r := newVaultsRig(t)
	code, v := r.do("POST", "/vaults", `{"name":"Photos","replication_factor":3}`)
	if code != 201 {
		t.Fatalf("create: %d %v", code, v)
	}
	id := v["id"].(string)
	code, info := r.do("GET", "/vaults/"+id+"/info", "")
	rep, _ := info["replicas"].(map[string]any)
	if code != 200 || rep["reliable_holders"] != 1.0 || rep["under_replicated"] != true || info["last_scrub"] != nil ||
		!strings.Contains(fmt.Sprint(rep["nodes"]), "self:true") || !strings.Contains(fmt.Sprint(rep["nodes"]), profPeer) {
		t.Fatalf("info alone: %d %v", code, info)
	}
	if code, body := r.do("POST", "/vaults/"+id+"/scrub", ""); code != 503 {
		t.Fatalf("scrub without a scrubber: %d %v", code, body)
	}

	r.routes.Replicas = func(_ context.Context, vault string) []api.Replica {
		return []api.Replica{{PeerID: profPeer, DisplayName: "alpha", Self: true, Reliable: true, Connected: true},
			{PeerID: profOther, DisplayName: "bravo", Reliable: true, Connected: true},
			{PeerID: profThird, DisplayName: "phone", Reliable: false, Connected: true}}
	}
	r.routes.Scrub = func(vault string) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.queued = append(r.queued, vault)
		return nil
	}
	if code, body := r.do("POST", "/vaults/nope/scrub", ""); code != 404 {
		t.Fatalf("scrub of an unknown vault: %d %v", code, body)
	}
	code, q := r.do("POST", "/vaults/"+id+"/scrub", "")
	if code != 202 || q["queued"] != true || q["vault_id"] != id || q["last_scrub"] != nil || len(r.queued) != 1 || r.queued[0] != id {
		t.Fatalf("scrub: %d %v, queued %v", code, q, r.queued)
	}
	// What the scrubber and the driver report to the vault shows in info.
	if _, err := host.AskChild[messages.ScrubRecord](context.Background(), r.routes.Actors.Root, r.routes.Vault, id,
		messages.RecordScrub{AtMs: 5, Checked: 9, Bytes: 900, Damaged: 1, Repaired: 1}, profAskLimit); err != nil {
		t.Fatal(err)
	}
	if _, err := host.AskChild[messages.PullRecord](context.Background(), r.routes.Actors.Root, r.routes.Vault, id,
		messages.RecordReplication{Peer: profOther, Records: 2, Blocks: 3, Bytes: 300}, profAskLimit); err != nil {
		t.Fatal(err)
	}
	code, info = r.do("GET", "/vaults/"+id+"/info", "")
	rep, _ = info["replicas"].(map[string]any)
	scrub, _ := info["last_scrub"].(map[string]any)
	pull, _ := info["last_pull"].(map[string]any)
	if code != 200 || rep["reliable_holders"] != 2.0 || rep["under_replicated"] != true || len(rep["nodes"].([]any)) != 3 ||
		!strings.Contains(fmt.Sprint(rep["note"]), "2 of the 3") || info["peer_count"] != 2.0 {
		t.Fatalf("info replicas: %d %v", code, info)
	}
	if scrub["checked"] != 9.0 || scrub["repaired"] != 1.0 || scrub["at_ms"] != 5.0 || pull["peer"] != profOther || pull["blocks"] != 3.0 {
		t.Fatalf("info scrub %v, pull %v", scrub, pull)
	}
	if code, q = r.do("POST", "/vaults/"+id+"/scrub", ""); code != 202 || q["last_scrub"] == nil {
		t.Fatalf("scrub again: %d %v", code, q)
	}
}
