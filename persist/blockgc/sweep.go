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

// Sweep deletes block files that no vault references or lists as an orphan and that nobody
// wrote or matched within the grace period: the leftovers of uploads that were cut, failed or
// crashed before their commit. It walks the store, so run it rarely (Run: every SweepInterval).
func (c *Collector) Sweep(ctx context.Context) (Stats, error) {
	var st Stats
	cutoff := c.cfg.Now().Add(-c.cfg.Grace)
	var cands []messages.BlockAddr
	resume := c.sweepCursor
	err := c.store.Walk(func(a persist.Address, mod time.Time) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if resume != (messages.BlockAddr{}) && bytes.Compare(a[:], resume[:]) <= 0 {
			return nil // handled by an earlier run of this round
		}
		if mod.Before(cutoff) {
			cands = append(cands, messages.BlockAddr(a))
			if len(cands) >= c.cfg.MaxPerRun {
				return errStop
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return st, fmt.Errorf("blockgc: sweep: %w", err)
	}
	// A full batch: the next run goes on after it; a short one ends the round.
	c.sweepCursor = messages.BlockAddr{}
	if len(cands) >= c.cfg.MaxPerRun {
		c.sweepCursor = cands[len(cands)-1]
	}
	for _, a := range cands {
		if ctx.Err() != nil {
			break
		}
		c.decide(&st, a, c.unreferenced(a), true)
	}
	return st, ctx.Err()
}

// Reclaim deletes, at once, the blocks an upload wrote before it failed for certain (cut at the
// quota, body broken, commit refused): those no other upload pinned and no vault references.
// Never call it when the commit's outcome is unknown.
func (c *Collector) Reclaim(ctx context.Context, addrs []messages.BlockAddr) Stats {
	var st Stats
	for _, a := range addrs {
		if ctx.Err() != nil {
			break
		}
		c.decide(&st, a, c.unreferenced(a), false)
	}
	return st
}

func (c *Collector) unreferenced(a messages.BlockAddr) func() (bool, error) {
	return func() (bool, error) {
		ref, err := c.cat.Referenced(a)
		return !ref, err
	}
}
