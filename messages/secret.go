package messages

import (
	"fmt"
	"log/slog"
)

// Secret holds a credential (swarm key, token, password, signing secret). It redacts itself
// everywhere it could leak — fmt, slog, JSON, YAML — so only Reveal gives the value, and only
// code that must use it calls that.
type Secret string

// Redacted is what a Secret prints instead of its value.
const Redacted = "[redacted]"

// Reveal returns the value; call it only where the credential is used.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether a value is present, without revealing it.
func (s Secret) IsSet() bool { return s != "" }

// String keeps the value out of fmt's %s and %v.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// Format keeps the value out of every fmt verb (%d, %x, %q … would otherwise print it).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// GoString keeps the value out of %#v.
func (s Secret) GoString() string { return fmt.Sprintf("messages.Secret(%q)", s.String()) }

// LogValue keeps the value out of slog records.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON keeps the value out of JSON responses and diagnostics.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%q", s.String())), nil }

// MarshalText keeps the value out of YAML and other text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the value from config files and requests.
func (s *Secret) UnmarshalText(b []byte) error {
	*s = Secret(b)
	return nil
}
