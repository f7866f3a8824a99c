package blockgc

import (
	"context"
	"time"
)

// Run collects orphans every Interval and sweeps every SweepInterval (the first sweep one
// Interval after start) until ctx ends.
func (c *Collector) Run(ctx context.Context) {
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	lastSweep := c.cfg.Now().Add(-c.cfg.SweepInterval + c.cfg.Interval)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if st, err := c.Collect(ctx); err != nil || st.Deleted > 0 || st.Errors > 0 {
			c.cfg.Logger.Info("blockgc: orphans collected", "stats", st.String(), "err", err)
		}
		if c.cfg.Now().Sub(lastSweep) >= c.cfg.SweepInterval {
			lastSweep = c.cfg.Now()
			if st, err := c.Sweep(ctx); err != nil || st.Deleted > 0 || st.Errors > 0 {
				c.cfg.Logger.Info("blockgc: unreferenced blocks swept", "stats", st.String(), "err", err)
			}
		}
	}
}
