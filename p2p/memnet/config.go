package memnet

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// DefaultTimeout is how long a cut stream or symmetric partition lasts before the transport gives up.
const DefaultTimeout = 10 * time.Second

// Faults is the seeded fault model applied to frames sent after it is set.
//
// Gossip messages get every fault. A stream open gets Delay, Jitter, Drop (the opener's stream is
// reset) and Reorder, never Duplicate. Stream bytes get only Delay and Jitter: once open, a stream is
// a reliable, ordered pipe. Peer events get none.
type Faults struct {
	// Delay is the base one-way latency.
	Delay time.Duration
	// Jitter adds a latency drawn uniformly from [0, Jitter].
	Jitter time.Duration
	// Drop is the probability that a gossip message or stream open is lost.
	Drop float64
	// Duplicate is the probability that a delivered gossip message arrives twice.
	Duplicate float64
	// Reorder is the probability that a gossip message or stream open is held back by ReorderBy.
	Reorder float64
	// ReorderBy is how long a reordered frame is held back; default 2×(Delay+Jitter), at least 1ms.
	ReorderBy time.Duration
}

// Config configures a Network: its fault model, clock, timeout and trace.
type Config struct {
	Faults
	// Timeout bounds a stalled stream (reset on both ends) and an undetected symmetric partition
	// (the link drops, with peer events); default DefaultTimeout.
	Timeout time.Duration
	// Now is the clock frames are scheduled by; default time.Now (virtual inside a synctest
	// bubble). A function returning a constant hands time to Advance and RunUntilIdle.
	Now func() time.Time
	// Trace, if set, receives one stable line per delivery, fault and control action.
	Trace io.Writer
}

// Validate reports the first invalid fault setting.
func (f Faults) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"drop", f.Drop}, {"duplicate", f.Duplicate}, {"reorder", f.Reorder}} {
		if math.IsNaN(p.v) || p.v < 0 || p.v > 1 {
			return fmt.Errorf("memnet: %s probability %v not in [0, 1]", p.name, p.v)
		}
	}
	if f.Delay < 0 || f.Jitter < 0 || f.ReorderBy < 0 {
		return errors.New("memnet: negative delay, jitter or reorder_by")
	}
	return nil
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if c.Timeout < 0 {
		return errors.New("memnet: negative timeout")
	}
	return c.Faults.Validate()
}

func (c Config) withDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// holdBy is how far a reordered frame is held back.
func (f Faults) holdBy() time.Duration {
	if f.ReorderBy > 0 {
		return f.ReorderBy
	}
	return max(2*(f.Delay+f.Jitter), time.Millisecond)
}
