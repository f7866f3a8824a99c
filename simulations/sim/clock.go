package sim

import "time"

// Epoch is where every tier-1 run's virtual time starts (synctest bubbles start at their own
// fixed instant, 2000-01-01 UTC).
var Epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// SkewClock is a node's clock inside a synctest bubble: virtual time plus the node's skew.
// It implements host.Clock.
type SkewClock struct{ Skew time.Duration }

// Now is the bubble's virtual time plus the skew.
func (c SkewClock) Now() time.Time { return time.Now().Add(c.Skew) }
