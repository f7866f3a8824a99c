package messages

import (
	"fmt"
	"time"
)

// Duration is a time.Duration that config files and JSON spell as a Go duration string ("90s", "15m").
type Duration time.Duration

// Std returns the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats the value the way time.Duration does ("15m0s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the value as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a Go duration string; a bare number is refused because its unit is unknown.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: want a Go duration such as \"90s\", \"15m\" or \"1h30m\"", b)
	}
	*d = Duration(v)
	return nil
}
