package vaultsync

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// Driver runs pulls: every Interval, at once on Wake (POST /replicate-now, a peer connecting,
// a peer announcing a change), for every vault this node holds from every online peer that
// holds it. A peer whose pulls fail is retried with a doubling delay (up to MaxBackoff).
type Driver struct {
	Puller *Puller
	// Vaults lists the vaults this node holds.
	Vaults func(ctx context.Context) []string
	// Holders lists the online peers holding vault, nearest first.
	Holders func(ctx context.Context, vault string) []p2p.PeerID
	// Synced, if set, is told about each pull that changed something.
	Synced func(vault string, peer p2p.PeerID, st Stats)
	// Interval between rounds (default 30 s) and MaxBackoff for a failing peer (default 5 min).
	Interval, MaxBackoff time.Duration
	Log                  *slog.Logger

	wake chan struct{}
	mu   sync.Mutex
	fail map[p2p.PeerID]backoff
	last Round
}

type backoff struct {
	n     int
	until time.Time
}

// Round is what the last round did, for GET /vaults/:id/info and the logs.
type Round struct {
	At     time.Time `json:"at"`
	Pulls  int       `json:"pulls"`
	Errors int       `json:"errors"`
}

// Wake asks for a round now; calls close together coalesce.
func (d *Driver) Wake() {
	d.init()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Driver) init() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.wake == nil {
		d.wake = make(chan struct{}, 1)
		d.fail = map[p2p.PeerID]backoff{}
	}
}

// Last is the last round.
func (d *Driver) Last() Round {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last
}

// Run runs rounds until ctx ends.
func (d *Driver) Run(ctx context.Context) {
	d.init()
	interval := d.Interval
	if interval <= 0 {
		interval = 30 * time.Second
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
		next := interval
		if d.round(ctx).Errors > 0 {
			next = min(interval, retryAfter) // a failed pull is retried soon (per-peer backoff applies)
		}
		t.Reset(next)
	}
}

// retryAfter is how soon a round with failed pulls is followed by another.
const retryAfter = 2 * time.Second

// round pulls every held vault from every holder that is not backing off.
func (d *Driver) round(ctx context.Context) Round {
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	r := Round{At: time.Now()}
vaults:
	for _, vault := range d.Vaults(ctx) {
		holders := d.Holders(ctx, vault)
		for _, peer := range holders {
			if !d.due(peer) {
				continue
			}
			pctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			st, err := d.Puller.Pull(pctx, vault, peer, holders)
			cancel()
			r.Pulls++
			switch {
			case errors.Is(err, ErrNoVault):
				d.ok(peer) // it no longer holds the vault: its directory entry will say so
			case errors.Is(err, ErrHoldPaused):
				d.ok(peer) // this node's budget, not the peer: the other holders would say the same
				if (st.Records > 0 || st.Blocks > 0) && d.Synced != nil {
					d.Synced(vault, peer, st)
				}
				log.Info("replication: pull paused", "vault", vault, "peer", peer, "err", err)
				continue vaults
			case err != nil:
				r.Errors++
				d.failed(peer)
				log.Warn("replication: pull failed", "vault", vault, "peer", peer, "err", err)
				if (st.Records > 0 || st.Blocks > 0 || st.Bytes > 0) && d.Synced != nil {
					d.Synced(vault, peer, st) // what it fetched before failing is held all the same
				}
			default:
				d.ok(peer)
				if !st.InSync && d.Synced != nil {
					d.Synced(vault, peer, st)
				}
			}
			if ctx.Err() != nil {
				return r
			}
		}
	}
	d.mu.Lock()
	d.last = r
	d.mu.Unlock()
	return r
}

func (d *Driver) due(peer p2p.PeerID) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return time.Now().After(d.fail[peer].until)
}

func (d *Driver) ok(peer p2p.PeerID) {
	d.mu.Lock()
	delete(d.fail, peer)
	d.mu.Unlock()
}

func (d *Driver) failed(peer p2p.PeerID) {
	max := d.MaxBackoff
	if max <= 0 {
		max = 5 * time.Minute
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	b := d.fail[peer]
	b.n++
	delay := min(time.Second<<min(b.n, 20), max)
	b.until = time.Now().Add(delay)
	d.fail[peer] = b
}
