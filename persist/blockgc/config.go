package blockgc

import (
	"fmt"
	"log/slog"
	"time"
)

// Config tunes the collector; zero fields take the defaults.
type Config struct {
	Grace         time.Duration    // an orphan or unreferenced block is kept this long (default 1 h)
	Interval      time.Duration    // Run collects orphans this often (default 10 min)
	SweepInterval time.Duration    // Run sweeps unreferenced files this often (default 6 h)
	MaxPerRun     int              // candidates handled per Collect or Sweep (default 10,000)
	Now           func() time.Time // clock (default time.Now)
	Logger        *slog.Logger     // default slog.Default()
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Grace == 0 {
		c.Grace = time.Hour
	}
	if c.Interval == 0 {
		c.Interval = 10 * time.Minute
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = 6 * time.Hour
	}
	if c.MaxPerRun == 0 {
		c.MaxPerRun = 10_000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate rejects settings that could delete blocks an upload or a commit still needs.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Grace < time.Minute:
		return fmt.Errorf("blockgc: grace %s: want at least 1m", c.Grace)
	case c.Interval < time.Second || c.SweepInterval < time.Second:
		return fmt.Errorf("blockgc: intervals must be at least 1s")
	case c.MaxPerRun < 1:
		return fmt.Errorf("blockgc: max_per_run %d: want at least 1", c.MaxPerRun)
	}
	return nil
}
