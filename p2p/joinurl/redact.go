package joinurl

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// String describes the Join with its key redacted to a fingerprint; it is not the URL.
func (j Join) String() string {
	return fmt.Sprintf("join{name=%s key=%s peers=[%s]}",
		strconv.Quote(j.Name), j.Key.String(), strings.Join(j.Peers, " "))
}

// GoString redacts the key in %#v.
func (j Join) GoString() string {
	return fmt.Sprintf("joinurl.Join{Name:%q, Key:%#v, Peers:%#v}", j.Name, j.Key, j.Peers)
}

// Format redacts the key under every fmt verb (%v, %s, %x, %d, %#v …).
func (j Join) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(j.GoString()))
		return
	}
	_, _ = f.Write([]byte(j.String()))
}

// LogValue redacts the key in slog records.
func (j Join) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", j.Name),
		slog.String("key", j.Key.String()),
		slog.Any("peers", j.Peers),
	)
}
