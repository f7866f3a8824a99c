package swarmkey

import (
	"fmt"
	"log/slog"
	"strconv"
)

// String redacts the key, showing only its fingerprint; use Text for the secret form.
func (k Key) String() string { return "[redacted swarm key " + k.Fingerprint() + "]" }

// GoString redacts the key in %#v.
func (k Key) GoString() string { return "swarmkey.Key(" + strconv.Quote(k.String()) + ")" }

// Format redacts the key under every fmt verb (%v, %s, %x, %d, %#v …).
func (k Key) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(k.GoString()))
		return
	}
	_, _ = f.Write([]byte(k.String()))
}

// LogValue redacts the key in slog records.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON redacts the key in JSON responses and diagnostics.
func (k Key) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(k.String())), nil }

// MarshalText redacts the key in YAML and other text encodings; write Text to store it.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }
