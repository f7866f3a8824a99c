package folder

import (
	"fmt"
	"time"
)

// Defaults of Config.
const (
	DefaultDebounce = 500 * time.Millisecond
	DefaultRescan   = 10 * time.Minute
)

// Config tunes the scanners; zero fields take the defaults.
type Config struct {
	Debounce time.Duration // a changed path is handled once it has been quiet this long (default 500 ms)
	Rescan   time.Duration // a full rescan runs this often: the safety net for missed events (default 10 min)
	Workers  int           // sealing goroutines of one ingest; 0 = GOMAXPROCS
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Debounce == 0 {
		c.Debounce = DefaultDebounce
	}
	if c.Rescan == 0 {
		c.Rescan = DefaultRescan
	}
	return c
}

// Validate rejects settings that would spin or never settle.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Debounce < time.Millisecond || c.Debounce > time.Minute:
		return fmt.Errorf("folder: debounce %s: want 1ms to 1m", c.Debounce)
	case c.Rescan < time.Second:
		return fmt.Errorf("folder: rescan %s: want at least 1s", c.Rescan)
	case c.Workers < 0:
		return fmt.Errorf("folder: workers %d: must not be negative", c.Workers)
	}
	return nil
}
