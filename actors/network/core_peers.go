package network

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// bootstrap appends addrs to network id's bootstrap list (add) or replaces the list with them.
func (c *core) bootstrap(ms int64, id string, addrs []string, add bool, v persist.View) host.Output {
	rec, err := c.get(v, id)
	if err != nil {
		return host.Output{Reply: err}
	}
	clean, err := cleanAddrs("addrs", addrs)
	if err != nil {
		return host.Output{Reply: err}
	}
	next := clean
	if add {
		next = slices.Clone(rec.GetBootstrap())
		for _, a := range clean {
			if !slices.Contains(next, a) {
				next = append(next, a)
			}
		}
		if len(next) > messages.MaxBootstrap {
			return host.Output{Reply: messages.Invalid("addrs", "would give the network %d bootstrap addresses, at most %d; replace the list instead", len(next), messages.MaxBootstrap)}
		}
	}
	added := 0
	for _, a := range next {
		if !slices.Contains(rec.GetBootstrap(), a) {
			added++
		}
	}
	if slices.Equal(next, rec.GetBootstrap()) {
		return host.Output{Reply: messages.NetworkUpdated{Network: c.toNetwork(rec)}}
	}
	rec.Bootstrap, rec.UpdatedMs = next, ms
	return host.Output{
		Writes: []persist.Write{c.putNet(rec)},
		Events: []host.Event{{Type: "network_updated", Data: messages.NetworkChanged{NetworkID: rec.GetId(), Name: rec.GetName(), Fields: []string{"bootstrap"}, Via: messages.ViaAPI}}},
		Reply:  messages.NetworkUpdated{Network: c.toNetwork(rec), Added: added},
	}
}

// cleanAddrs checks bootstrap addresses the caller parsed already (http/api canonicalises them
// with go-multiaddr, which a core does not import): each a non-empty, bounded multiaddr text
// without spaces. Duplicates are dropped, the first kept.
func cleanAddrs(field string, addrs []string) ([]string, error) {
	out := make([]string, 0, len(addrs))
	for i, a := range addrs {
		switch {
		case a == "":
			return nil, messages.Invalid(field, "[%d] is empty", i)
		case len(a) > messages.MaxBootstrapAddr:
			return nil, messages.Invalid(field, "[%d] is %d bytes, at most %d", i, len(a), messages.MaxBootstrapAddr)
		case !strings.HasPrefix(a, "/"):
			return nil, messages.Invalid(field, "[%d] %q is not a multiaddr (it starts with /)", i, clip(a))
		case strings.IndexFunc(a, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
			return nil, messages.Invalid(field, "[%d] %q contains spaces or control characters", i, clip(a))
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) > messages.MaxBootstrap {
		return nil, messages.Invalid(field, "has %d addresses, at most %d", len(out), messages.MaxBootstrap)
	}
	return out, nil
}

// clip shortens a value echoed in an error.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	return fmt.Sprintf("%s…", s[:80])
}
