package blockgc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// Collector deletes block files no vault needs. Every deletion is decided under the pin lock,
// after a fresh look at the catalog and at the file's age; its methods may run concurrently
// with uploads but not with each other.
type Collector struct {
	store Store
	pins  *Pins
	cat   Catalog
	cfg   Config

	orphanCursor orphan             // Collect resumes after this orphan; zero: from the start
	sweepCursor  messages.BlockAddr // Sweep resumes after this address; zero: from the start
}

// Stats counts what one pass did.
type Stats struct {
	Candidates int // blocks looked at
	Deleted    int // block files removed
	Pinned     int // kept: an upload holds them
	Referenced int // kept: a version references them again
	Young      int // kept: written or matched within the grace period
	Errors     int // kept: a question could not be answered
}

func (s Stats) String() string {
	return fmt.Sprintf("candidates=%d deleted=%d pinned=%d referenced=%d young=%d errors=%d",
		s.Candidates, s.Deleted, s.Pinned, s.Referenced, s.Young, s.Errors)
}

// New returns a collector over the node's block store, pin set and vault catalogs.
func New(store Store, pins *Pins, cat Catalog, cfg Config) (*Collector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Collector{store: store, pins: pins, cat: cat, cfg: cfg.withDefaults()}, nil
}

type orphan struct {
	vault string
	addr  messages.BlockAddr
}

// Collect deletes recorded orphans whose count fell to zero more than the grace period ago,
// unless pinned, referenced again, or touched by an upload within the grace period; then it
// asks each vault to forget the orphans it deleted.
func (c *Collector) Collect(ctx context.Context) (Stats, error) {
	var st Stats
	cutoff := c.cfg.Now().Add(-c.cfg.Grace)
	var cands []orphan
	err := c.cat.Orphans(ctx, func(vault string, addr messages.BlockAddr, sinceMs int64) bool {
		o := orphan{vault, addr}
		if c.orphanCursor.vault != "" && !c.orphanCursor.less(o) {
			return true // handled by an earlier run of this round
		}
		if time.UnixMilli(sinceMs).Before(cutoff) {
			cands = append(cands, o)
		}
		return len(cands) < c.cfg.MaxPerRun && ctx.Err() == nil
	})
	if err != nil {
		return st, fmt.Errorf("blockgc: list orphans: %w", err)
	}
	// A full batch: the next run goes on after it; a short one ends the round.
	c.orphanCursor = orphan{}
	if len(cands) >= c.cfg.MaxPerRun {
		c.orphanCursor = cands[len(cands)-1]
	}
	deleted := map[string][]messages.BlockAddr{}
	var order []string
	for _, o := range cands {
		if ctx.Err() != nil {
			break
		}
		if c.decide(&st, o.addr, func() (bool, error) { return c.cat.StillOrphan(o.vault, o.addr) }, true) {
			if deleted[o.vault] == nil {
				order = append(order, o.vault)
			}
			deleted[o.vault] = append(deleted[o.vault], o.addr)
		}
	}
	for _, v := range order {
		if err := c.cat.Forget(ctx, v, deleted[v]); err != nil {
			c.cfg.Logger.Warn("blockgc: forget orphans", "vault", v, "blocks", len(deleted[v]), "err", err)
		}
	}
	return st, ctx.Err()
}

// decide deletes addr when it is unpinned, orphan says so (asked under the pin lock) and,
// with checkAge, its file is older than the grace period. It reports whether it deleted.
func (c *Collector) decide(st *Stats, addr messages.BlockAddr, orphan func() (bool, error), checkAge bool) (deleted bool) {
	st.Candidates++
	c.pins.Locked(func(pinned func(messages.BlockAddr) bool) {
		if pinned(addr) {
			st.Pinned++
			return
		}
		free, err := orphan()
		if err != nil {
			st.Errors++
			c.cfg.Logger.Warn("blockgc: catalog check", "block", addr.String(), "err", err)
			return
		}
		if !free {
			st.Referenced++
			return
		}
		if checkAge {
			mod, ok, err := c.store.ModTime(persist.Address(addr))
			if err != nil {
				st.Errors++
				return
			}
			if ok && mod.After(c.cfg.Now().Add(-c.cfg.Grace)) {
				st.Young++
				return
			}
		}
		if err := c.store.Delete(persist.Address(addr)); err != nil {
			st.Errors++
			c.cfg.Logger.Warn("blockgc: delete", "block", addr.String(), "err", err)
			return
		}
		st.Deleted++
		deleted = true
	})
	return deleted
}

// less orders orphans as Catalog.Orphans lists them: by vault, then address.
func (o orphan) less(p orphan) bool {
	if o.vault != p.vault {
		return o.vault < p.vault
	}
	return bytes.Compare(o.addr[:], p.addr[:]) < 0
}

// errStop ends a walk early.
var errStop = errors.New("stop")
