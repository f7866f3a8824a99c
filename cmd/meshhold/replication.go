package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/blocks"
	"github.com/meshhold/meshhold/p2p/vaultsync"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockstore"
)

// changesTopic carries "vault <id> changed" announcements, so holders pull at once instead of
// at their next round.
const changesTopic = "meshhold/vaults"

// replication runs on one mesh: it serves blocks and catalogs, and its driver pulls every held
// vault from the peers that hold it. A new mesh (a connect, a key rotation) gets a new one.
type replication struct {
	d      *daemon
	t      p2p.Transport
	client *blocks.Client
	driver *vaultsync.Driver
	topic  p2p.Topic
	log    *slog.Logger
	stops  []func()
	cancel context.CancelFunc
	done   chan struct{}
}

// startReplication serves and starts pulling on t.
func (d *daemon) startReplication(t p2p.Transport, log *slog.Logger) *replication {
	r := &replication{d: d, t: t, log: log, done: make(chan struct{})}
	cat := actorCatalog{d: d}
	r.stops = append(r.stops,
		// Nothing is pushed to this node: it pulls what it holds. A peer offering blocks is refused.
		blocks.Serve(t, d.blocks, blocks.ServerConfig{Accept: func(p2p.PeerID, persist.Address, int) bool { return false }}),
		vaultsync.Serve(t, cat, log))
	r.client = blocks.NewClient(t, blocks.ClientConfig{})
	r.driver = &vaultsync.Driver{
		Puller:  &vaultsync.Puller{T: t, Cat: cat, Fetch: fetcher{c: r.client, store: d.blocks}, Blocks: d.blocks, Allow: d.budget.allow},
		Vaults:  d.heldVaults,
		Holders: func(ctx context.Context, vault string) []p2p.PeerID { return d.holders(ctx, t, vault) },
		Synced: func(vault string, peer p2p.PeerID, st vaultsync.Stats) {
			log.Info("replication: pulled", "vault", vault, "peer", peer, "records", st.Records, "blocks", st.Blocks,
				"bytes", st.Bytes, "pruned", st.Pruned, "waiting", st.Waiting, "corrupt", st.Corrupt)
			d.budget.pulled(vault, st.Bytes)
			reportPull(d, vault, peer, st)
		},
		Log: log,
	}
	if topic, err := t.Join(changesTopic); err != nil {
		log.Warn("replication: change announcements off", "err", err)
	} else {
		r.topic = topic
		if cancel, err := topic.Subscribe(func(p2p.Message) { r.driver.Wake() }); err == nil {
			r.stops = append(r.stops, cancel)
		}
	}
	unwatch := t.WatchPeers(func(ev p2p.PeerEvent) {
		if ev.Connected {
			r.driver.Wake()
		}
	})
	r.stops = append(r.stops, unwatch)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		r.driver.Run(ctx)
	}()
	return r
}

// announce tells the holders of a vault that it changed here.
func (r *replication) announce(vault string) {
	if r.topic == nil {
		return
	}
	b, _ := json.Marshal(map[string]string{"vault": vault})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.topic.Publish(ctx, b); err != nil {
		r.log.Debug("replication: announce", "vault", vault, "err", err)
	}
}

// stop ends the driver and stops serving.
func (r *replication) stop() {
	r.cancel()
	<-r.done
	for _, s := range r.stops {
		s()
	}
	if r.topic != nil {
		_ = r.topic.Close()
	}
}

// heldVaults lists the vaults this node holds (trusted, and untrusted ones it stores).
func (d *daemon) heldVaults(ctx context.Context) []string {
	list, err := host.AskChild[messages.VaultList](ctx, d.node.Root, d.registry, messages.RegistryID, messages.ListVaults{}, askLimit)
	if err != nil {
		return nil
	}
	var ids []string
	for _, v := range list.Vaults {
		if !v.Untrusted || v.Hold {
			ids = append(ids, v.ID)
		}
	}
	return ids
}

// observe records the vaults a peer holds that this node does not know as untrusted: a
// reliable node holds their ciphertext (records and blocks, never the key) so they count
// towards their replication factor; an unreliable one only knows of them.
func (g *meshGlue) observe(vaults []string) {
	g.selfMu.Lock()
	if g.observed == nil {
		g.observed = map[string]bool{}
	}
	var fresh []string
	for _, v := range vaults {
		if !g.observed[v] {
			g.observed[v] = true
			fresh = append(fresh, v)
		}
	}
	g.selfMu.Unlock()
	if len(fresh) == 0 {
		return
	}
	d := g.d
	ctx, cancel := context.WithTimeout(context.Background(), askLimit)
	defer cancel()
	for _, v := range fresh {
		if _, err := host.AskChild[messages.VaultMeta](ctx, d.node.Root, d.registry, messages.RegistryID, messages.GetVaultMeta{ID: v}, askLimit); err == nil {
			continue // trusted here, or observed already
		}
		meta, err := host.AskChild[messages.VaultMeta](ctx, d.node.Root, d.registry, messages.RegistryID, messages.ObserveVault{ID: v, Hold: d.cfg.Node.Reliable}, askLimit)
		if err != nil {
			g.log.Warn("replication: observe a vault of the swarm", "vault", v, "err", err)
			continue
		}
		g.log.Info("replication: holding an untrusted vault's ciphertext", "vault", v, "hold", meta.Hold)
	}
}

// holders lists the connected peers whose directory entry says they hold vault, nearest first.
func (d *daemon) holders(ctx context.Context, t p2p.Transport, vault string) []p2p.PeerID {
	list, err := host.AskChild[messages.NodeList](ctx, d.node.Root, d.mesh.nodesMgr, messages.NodesID, messages.ListNodes{OnlineOnly: true}, askLimit)
	if err != nil {
		return nil
	}
	var out []p2p.PeerID
	for _, n := range list.Nodes {
		if !n.Self && n.Connected && slices.Contains(n.Vaults, vault) {
			out = append(out, p2p.PeerID(n.NodeID))
		}
	}
	slices.SortStableFunc(out, func(a, b p2p.PeerID) int { return int(t.RTT(a) - t.RTT(b)) })
	return out
}

// actorCatalog is vaultsync's Catalog over the vault actors' sync commands.
type actorCatalog struct{ d *daemon }

func (c actorCatalog) ask(ctx context.Context, vault string, msg any) (any, error) {
	reply, err := host.AskChild[any](ctx, c.d.node.Root, c.d.vaultMgr, vault, msg, askLimit)
	if err == nil {
		if e, ok := reply.(error); ok {
			err = e
		}
	}
	if errors.Is(err, messages.ErrNotFound) {
		return nil, vaultsync.ErrNoVault
	}
	return reply, err
}

func (c actorCatalog) Summary(ctx context.Context, vault string) (messages.VaultSummary, error) {
	if !slices.Contains(c.d.heldVaults(ctx), vault) {
		return messages.VaultSummary{}, vaultsync.ErrNoVault
	}
	reply, err := c.ask(ctx, vault, messages.SyncSummary{Buckets: true})
	if err != nil {
		return messages.VaultSummary{}, err
	}
	s, _ := reply.(messages.VaultSummary)
	return s, nil
}

func (c actorCatalog) List(ctx context.Context, vault string, buckets []byte) (addrs, pruned []messages.VersionAddr, err error) {
	var after messages.VersionAddr
	for {
		reply, err := c.ask(ctx, vault, messages.SyncList{Buckets: buckets, After: after})
		if err != nil {
			return nil, nil, err
		}
		page, _ := reply.(messages.SyncListing)
		addrs, pruned = append(addrs, page.Addrs...), append(pruned, page.Pruned...)
		if !page.More {
			return addrs, pruned, nil
		}
		after = page.Next
	}
}

func (c actorCatalog) Get(ctx context.Context, vault string, addrs []messages.VersionAddr) (messages.SyncRecords, error) {
	reply, err := c.ask(ctx, vault, messages.SyncGet{Addrs: addrs})
	if err != nil {
		return messages.SyncRecords{}, err
	}
	recs, _ := reply.(messages.SyncRecords)
	return recs, nil
}

func (c actorCatalog) Apply(ctx context.Context, vault string, a messages.SyncApply) (messages.SyncApplied, error) {
	reply, err := c.ask(ctx, vault, a)
	if err != nil {
		return messages.SyncApplied{}, err
	}
	res, _ := reply.(messages.SyncApplied)
	return res, nil
}

// fetcher is vaultsync's Fetcher over p2p/blocks.
type fetcher struct {
	c     *blocks.Client
	store persist.BlockStore
}

func (f fetcher) Fetch(ctx context.Context, peers []p2p.PeerID, addrs []persist.Address) ([]persist.Address, int64, error) {
	res, err := f.c.FetchAny(ctx, peers, addrs, f.store)
	lost := append(append(slices.Clone(res.Missing), res.Corrupt...), res.Left...)
	return lost, res.Bytes, err
}

// replicationMesh is api.ReplicationMesh on the running mesh.
type replicationMesh struct{ d *daemon }

var _ api.ReplicationMesh = replicationMesh{}

func (m replicationMesh) repl() *replication { return m.d.mesh.replication() }

func (m replicationMesh) Connected() bool { return m.repl() != nil }

func (m replicationMesh) Wake() {
	if r := m.repl(); r != nil {
		r.driver.Wake()
	}
}

func (m replicationMesh) Local(hexAddrs []string) ([]bool, error) {
	out := make([]bool, len(hexAddrs))
	for i, h := range hexAddrs {
		a, err := persist.ParseAddress(h)
		if err != nil {
			return nil, err
		}
		if out[i], err = m.d.blocks.Has(a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (m replicationMesh) Holders(ctx context.Context, vault string, hexAddrs []string) ([]string, error) {
	r := m.repl()
	if r == nil {
		return []string{}, nil
	}
	addrs, err := parseAddrs(hexAddrs)
	if err != nil {
		return nil, err
	}
	out := []string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	peers := m.d.holders(ctx, r.t, vault)
	for _, p := range peers {
		wg.Go(func() {
			have, err := r.client.Have(ctx, p, addrs)
			if err != nil {
				return
			}
			if !slices.Contains(have, false) {
				mu.Lock()
				out = append(out, string(p))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortStableFunc(out, func(a, b string) int {
		return slices.Index(peers, p2p.PeerID(a)) - slices.Index(peers, p2p.PeerID(b))
	})
	return out, nil
}

func (m replicationMesh) Fetch(ctx context.Context, vault string, hexAddrs []string) (int, error) {
	r := m.repl()
	if r == nil {
		return 0, messages.LimitedMode("the mesh is not connected")
	}
	addrs, err := parseAddrs(hexAddrs)
	if err != nil {
		return 0, err
	}
	res, err := r.client.FetchAny(ctx, m.d.holders(ctx, r.t, vault), addrs, m.d.blocks)
	if err == nil {
		err = m.d.blocks.Sync()
	}
	return len(res.Got), err
}

func parseAddrs(hexAddrs []string) ([]persist.Address, error) {
	out := make([]persist.Address, 0, len(hexAddrs))
	for _, h := range hexAddrs {
		a, err := persist.ParseAddress(h)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// announceWithin coalesces a vault's change announcements: one per vault at most this often (a
// sync apply of 10,000 records reports 10,000 file events).
const announceWithin = 500 * time.Millisecond

// announceSoon announces a change of vault once announceWithin has passed, with every change
// reported meanwhile.
func (g *meshGlue) announceSoon(vault string) {
	g.annMu.Lock()
	defer g.annMu.Unlock()
	if g.annPending == nil {
		g.annPending = map[string]bool{}
	}
	if g.annPending[vault] {
		return
	}
	g.annPending[vault] = true
	time.AfterFunc(announceWithin, func() {
		g.annMu.Lock()
		delete(g.annPending, vault)
		g.annMu.Unlock()
		if r := g.replication(); r != nil {
			r.announce(vault)
		}
	})
}

// watchChanges announces every local change of a vault to its holders.
func (g *meshGlue) watchChanges() error {
	for _, typ := range []string{"file_added", "file_updated", "file_deleted", "file_restored", "conflict_resolved", "policy_changed"} {
		sub, err := g.d.bus.Subscribe(bus.TypeSubject(typ), func(m bus.Msg) {
			var ev struct {
				Entity string `json:"entity"`
			}
			if json.Unmarshal(m.Data, &ev) != nil {
				return
			}
			if vault, ok := strings.CutPrefix(ev.Entity, messages.VaultKind+"/"); ok {
				g.announceSoon(vault)
			}
		})
		if err != nil {
			return err
		}
		g.subs = append(g.subs, sub)
	}
	return nil
}

// peerBlocks is the block store downloads read from: a block this node lacks is fetched from
// the connected peers that hold it (asked with HAVE), verified, kept, then read — so a stream
// or a Range on a node that is not yet a full replica fetches only the blocks it covers.
type peerBlocks struct {
	*blockstore.Store
	d *daemon
}

// ReadBlock reads a locally, fetching it first when it is missing or fails verification (the
// damaged file is deleted, as the scrub would).
func (p peerBlocks) ReadBlock(a persist.Address, dst []byte) ([]byte, error) {
	b, err := p.Store.ReadBlock(a, dst)
	if !errors.Is(err, persist.ErrBlockMissing) {
		return b, err
	}
	if has, _ := p.Store.Has(a); has {
		_ = p.Store.Delete(a) // present but not its address: damaged
	}
	if !p.fetch(a) {
		return b, err
	}
	return p.Store.ReadBlock(a, dst)
}

// Get is ReadBlock into a new buffer.
func (p peerBlocks) Get(a persist.Address) ([]byte, error) { return p.ReadBlock(a, nil) }

// fetch gets a from any connected peer; it reports whether the block is here now.
func (p peerBlocks) fetch(a persist.Address) bool {
	r := p.d.mesh.replication()
	if r == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := r.client.FetchAny(ctx, r.t.Peers(), []persist.Address{a}, p.Store)
	if err != nil || len(res.Got) == 0 {
		return false
	}
	// Not synced: a crash that loses it loses nothing acknowledged (the peer still has it),
	// and the next read or pull fetches it again.
	return true
}
