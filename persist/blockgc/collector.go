package blockgc

import (
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
		if time.UnixMilli(sinceMs).Before(cutoff) {
			cands = append(cands, orphan{vault, addr})
		}
		return len(cands) < c.cfg.MaxPerRun && ctx.Err() == nil
	})
	if err != nil {
		return st, fmt.Errorf("blockgc: list orphans: %w", err)
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

// errStop ends a walk early.
var errStop = errors.New("stop")
