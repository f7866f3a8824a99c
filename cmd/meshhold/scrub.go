package main

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/vaultsync"
	"github.com/meshhold/meshhold/persist"
)

// scrubConfig is how often and how fast the scrubber reads (docs/replication.md, Scrub).
type scrubConfig struct {
	Interval   time.Duration // a vault is scrubbed again this long after its last pass started
	FirstAfter time.Duration // the first look for vaults due, after the daemon starts
	Every      time.Duration // later looks for vaults due
	Rate       int64         // block bytes read per second at most, over every vault; ≤ 0: no limit
	Page       int           // block addresses asked of the vault actor at a time
	Batch      int           // missing or damaged blocks repaired together
}

// defaultScrub is the scrubber of every daemon: the first look five minutes after start, then
// hourly; storage.scrub_interval and storage.scrub_rate replace Interval and Rate.
var defaultScrub = scrubConfig{Interval: 24 * time.Hour, FirstAfter: 5 * time.Minute, Every: time.Hour,
	Rate: 32 << 20, Page: 1000, Batch: 256}

// scrubber re-reads the blocks every held vault references, verifies them against their
// addresses, and repairs a missing or damaged one from the peers that hold the vault; each
// pass is reported to the vault actor (RecordScrub), which keeps it for GET /vaults/:id/info
// and reports block_repaired.
type scrubber struct {
	d    *daemon
	cfg  scrubConfig
	log  *slog.Logger
	kick chan struct{}
	done chan struct{}

	mu     sync.Mutex
	queued []string // vaults asked for now (POST /vaults/:id/scrub), oldest first
}

// startScrub starts the scrubber and fills the vault routes' Replicas and Scrub; the block
// collector's stop (close) stops it too.
func (d *daemon) startScrub() {
	cfg := defaultScrub
	cfg.Interval, cfg.Rate = time.Duration(d.cfg.Storage.ScrubInterval), int64(d.cfg.Storage.ScrubRate)
	s := &scrubber{d: d, cfg: cfg, log: d.log.With("subsystem", "scrub"), kick: make(chan struct{}, 1), done: make(chan struct{})}
	d.vaults.Replicas = d.replicas
	d.vaults.Scrub = s.queue
	d.vaults.HoldNote = d.budget.note
	ctx, cancel := context.WithCancel(context.Background())
	go s.run(ctx)
	stopGC := d.stopGC
	d.stopGC = func() {
		cancel()
		<-s.done
		if stopGC != nil {
			stopGC()
		}
	}
}

// queue asks for a pass over vault now (after the pass running, if any).
func (s *scrubber) queue(vault string) error {
	s.mu.Lock()
	if !slices.Contains(s.queued, vault) {
		s.queued = append(s.queued, vault)
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

// next takes the oldest queued vault.
func (s *scrubber) next() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queued) == 0 {
		return "", false
	}
	v := s.queued[0]
	s.queued = s.queued[1:]
	return v, true
}

func (s *scrubber) run(ctx context.Context) {
	defer close(s.done)
	timer := time.NewTimer(s.cfg.FirstAfter)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
			s.drain(ctx)
		case <-timer.C:
			s.due(ctx)
			timer.Reset(s.cfg.Every)
		}
	}
}

// drain scrubs the queued vaults.
func (s *scrubber) drain(ctx context.Context) {
	for ctx.Err() == nil {
		v, ok := s.next()
		if !ok {
			return
		}
		s.pass(ctx, v)
	}
}

// due scrubs every held vault whose last pass started Interval ago or more (or never ran):
// restarts do not shorten the interval, and a node that was off for days catches up once.
func (s *scrubber) due(ctx context.Context) {
	for _, v := range s.d.heldVaults(ctx) {
		s.drain(ctx)
		if ctx.Err() != nil {
			return
		}
		st, err := host.AskChild[messages.VaultStatus](ctx, s.d.node.Root, s.d.vaultMgr, v, messages.GetVault{}, askLimit)
		if err != nil {
			continue
		}
		if st.LastScrub == nil || time.Since(time.UnixMilli(st.LastScrub.AtMs)) >= s.cfg.Interval {
			s.pass(ctx, v)
		}
	}
}

// pass scrubs one vault and reports it; errors are logged (the next look tries again).
func (s *scrubber) pass(ctx context.Context, vault string) {
	rec, err := s.scrub(ctx, vault, newPacer(s.cfg.Rate))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("scrub", "vault", vault, "err", err)
		}
		return
	}
	if _, err := host.AskChild[messages.ScrubRecord](ctx, s.d.node.Root, s.d.vaultMgr, vault, rec, askLimit); err != nil {
		s.log.Warn("scrub: record the pass", "vault", vault, "err", err)
		return
	}
	lvl := slog.LevelDebug
	if rec.Missing+rec.Damaged > 0 {
		lvl = slog.LevelWarn
	}
	s.log.Log(ctx, lvl, "scrubbed", "vault", vault, "checked", rec.Checked, "bytes", rec.Bytes, "missing", rec.Missing,
		"damaged", rec.Damaged, "repaired", rec.Repaired, "unrepaired", rec.Unrepaired,
		"took", time.Since(time.UnixMilli(rec.AtMs)).Round(time.Millisecond))
}

// scrub reads every block vault references, a page at a time, and repairs what is missing or
// damaged in batches.
func (s *scrubber) scrub(ctx context.Context, vault string, pace *pacer) (messages.RecordScrub, error) {
	rec := messages.RecordScrub{AtMs: time.Now().UnixMilli()}
	var bad []persist.Address
	var buf []byte
	var after messages.BlockAddr
	for {
		page, err := host.AskChild[messages.BlockRefs](ctx, s.d.node.Root, s.d.vaultMgr, vault, messages.ListBlockRefs{After: after, Limit: s.cfg.Page}, askLimit)
		if err != nil {
			return rec, err
		}
		for _, a := range page.Addrs {
			if err := ctx.Err(); err != nil {
				return rec, err
			}
			rec.Checked++
			var ok bool
			if buf, ok = s.check(ctx, persist.Address(a), buf, &rec, pace); !ok {
				bad = append(bad, persist.Address(a))
			}
			if len(bad) >= s.cfg.Batch {
				s.repair(ctx, vault, bad, &rec, pace)
				bad = bad[:0]
			}
		}
		if !page.More {
			break
		}
		after = page.Next
	}
	if len(bad) > 0 {
		s.repair(ctx, vault, bad, &rec, pace)
	}
	return rec, ctx.Err()
}

// check reads a verified; a missing block is counted Missing, a damaged one Damaged and its
// file deleted (a good copy can then be put in its place); false for either.
func (s *scrubber) check(ctx context.Context, a persist.Address, buf []byte, rec *messages.RecordScrub, pace *pacer) ([]byte, bool) {
	data, err := s.d.blocks.ReadBlock(a, buf)
	if err == nil {
		rec.Bytes += int64(len(data))
		pace.take(ctx, len(data))
		return data, true
	}
	held, herr := s.d.blocks.Has(a)
	if data, err2 := s.d.blocks.ReadBlock(a, buf); err2 == nil { // it arrived meanwhile (a pull, a download)
		rec.Bytes += int64(len(data))
		return data, true
	}
	switch {
	case herr == nil && !held:
		rec.Missing++
	default:
		rec.Damaged++
		if errors.Is(err, persist.ErrBlockMissing) { // its bytes do not hash to its address
			if derr := s.d.blocks.Delete(a); derr != nil {
				s.log.Warn("scrub: delete a damaged block", "block", a, "err", derr)
			}
		}
		s.log.Warn("scrub: damaged block", "block", a, "err", err)
	}
	return buf, false
}

// repair fetches bad from the connected holders of vault (none while the mesh is off), syncs
// what arrived, and counts each block Repaired once it reads back verified, else Unrepaired.
func (s *scrubber) repair(ctx context.Context, vault string, bad []persist.Address, rec *messages.RecordScrub, pace *pacer) {
	if r := s.d.mesh.replication(); r != nil {
		if _, err := r.client.FetchAny(ctx, s.d.holders(ctx, r.t, vault), bad, s.d.blocks); err != nil {
			s.log.Info("scrub: repair", "vault", vault, "blocks", len(bad), "err", err)
		}
		if err := s.d.blocks.Sync(); err != nil {
			s.log.Warn("scrub: sync repaired blocks", "err", err)
		}
	}
	var buf []byte
	for _, a := range bad {
		data, err := s.d.blocks.ReadBlock(a, buf)
		if err == nil {
			buf = data
			pace.take(ctx, len(data))
			rec.Repaired++
			if len(rec.RepairedBlocks) < messages.MaxScrubBlocks {
				rec.RepairedBlocks = append(rec.RepairedBlocks, messages.BlockAddr(a))
			}
			continue
		}
		rec.Unrepaired++
		if len(rec.UnrepairedBlocks) < messages.MaxScrubBlocks {
			rec.UnrepairedBlocks = append(rec.UnrepairedBlocks, messages.BlockAddr(a))
		}
	}
}

// pacer holds reads to rate bytes per second, with a second's worth of burst.
type pacer struct {
	rate   float64
	tokens float64
	last   time.Time
}

func newPacer(rate int64) *pacer {
	return &pacer{rate: float64(rate), tokens: float64(rate), last: time.Now()}
}

// take spends n bytes, sleeping while the budget is overdrawn (or until ctx ends).
func (p *pacer) take(ctx context.Context, n int) {
	if p.rate <= 0 {
		return
	}
	now := time.Now()
	p.tokens = min(p.rate, p.tokens+now.Sub(p.last).Seconds()*p.rate) - float64(n)
	p.last = now
	if p.tokens >= 0 {
		return
	}
	t := time.NewTimer(time.Duration(-p.tokens / p.rate * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// replicas lists the nodes holding vault for GET /vaults/:id/info: this node when it holds
// the vault, then every node of the directory whose info lists it — connected ones first.
func (d *daemon) replicas(ctx context.Context, vault string) []api.Replica {
	out := []api.Replica{}
	var others []messages.NodeView
	selfName := d.cfg.Node.Name
	if list, err := host.AskChild[messages.NodeList](ctx, d.node.Root, d.mesh.nodesMgr, messages.NodesID, messages.ListNodes{}, askLimit); err == nil {
		for _, n := range list.Nodes {
			switch {
			case n.Self && n.DisplayName != "":
				selfName = n.DisplayName
			case !n.Self && slices.Contains(n.Vaults, vault):
				others = append(others, n)
			}
		}
	}
	if slices.Contains(d.heldVaults(ctx), vault) {
		out = append(out, api.Replica{PeerID: d.peerID.String(), DisplayName: selfName, Self: true, Reliable: d.cfg.Node.Reliable, Connected: true})
	}
	slices.SortStableFunc(others, func(a, b messages.NodeView) int {
		if a.Connected != b.Connected {
			if a.Connected {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.DisplayName, b.DisplayName), cmp.Compare(a.NodeID, b.NodeID))
	})
	for _, n := range others {
		out = append(out, api.Replica{PeerID: n.NodeID, DisplayName: n.DisplayName, Reliable: n.Reliable, Connected: n.Connected})
	}
	return out
}

// reportPull tells vault's actor what a pull from peer brought (RecordReplication), which
// reports replication_progress and, when blocks arrived, block_replicated; a pull that changed
// nothing is not reported. The replication driver's Synced callback calls it. vaultsync.Stats
// does not count bytes yet, so the events say 0 bytes.
func reportPull(d *daemon, vault string, peer p2p.PeerID, st vaultsync.Stats) {
	if st.Records == 0 && st.Pruned == 0 && st.Blocks == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), askLimit)
	defer cancel()
	cmd := messages.RecordReplication{Peer: string(peer), Records: st.Records, Pruned: st.Pruned, Blocks: st.Blocks, Bytes: st.Bytes}
	if _, err := host.AskChild[messages.PullRecord](ctx, d.node.Root, d.vaultMgr, vault, cmd, askLimit); err != nil {
		d.log.Debug("replication: report a pull", "vault", vault, "peer", peer, "err", err)
	}
}
