package host

import "time"

// Clock gives the host the time; cores get it as Step's now.
type Clock interface{ Now() time.Time }

// SystemClock reads the wall clock (virtual inside a synctest bubble).
type SystemClock struct{}

// Now returns time.Now.
func (SystemClock) Now() time.Time { return time.Now() }
