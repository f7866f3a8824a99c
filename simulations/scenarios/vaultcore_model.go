package scenarios

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/simulations/sim"
)

// model is what the clients were told and what became durable: the acknowledged versions,
// the versions a durable step pruned, and the sequence numbers durable steps used.
type model struct {
	acked  map[string]*ackedVersion // version addr (hex) → what its writer was told
	order  []string                 // acknowledged addrs, in order
	pruned map[string]bool          // addrs whose record a durable step deleted
	hist   map[string]string        // live history keys → version addr
	events map[string]string        // "entity#seq" → digest of the durable event
	paths  map[string]messages.FileInfo
}

// ackedVersion is an acknowledged version: its path, and its body when the client knows it.
type ackedVersion struct {
	path    string
	body    string
	known   bool
	deleted bool
}

func newModel() *model {
	return &model{acked: map[string]*ackedVersion{}, pruned: map[string]bool{}, hist: map[string]string{},
		events: map[string]string{}, paths: map[string]messages.FileInfo{}}
}

// ack records an acknowledged version.
func (m *model) ack(info messages.FileInfo, body string, known bool) {
	m.paths[info.Path] = info
	if _, ok := m.acked[info.Version]; !ok {
		m.order = append(m.order, info.Version)
	}
	m.acked[info.Version] = &ackedVersion{path: info.Path, body: body, known: known, deleted: info.Deleted}
}

// committed notes a durable step of entity whose events follow seq (tier 1).
func (m *model) committed(w *world, entity string, seq uint64, writes []persist.Write, events []host.Event) {
	m.catalog(w.fail, writes)
	for i, ev := range events {
		m.event(w.fail, entity, seq+uint64(i)+1, ev.Type, sim.Digest(ev.Data))
	}
}

// event notes a durable event: an (entity, seq) never names two different events.
func (m *model) event(fail func(string, ...any), entity string, seq uint64, typ, digest string) {
	key := fmt.Sprintf("%s#%d", entity, seq)
	d := typ + " " + digest
	if old, ok := m.events[key]; ok && old != d {
		fail("event seq %s reused: %s, then %s", key, old, d)
	}
	m.events[key] = d
}

// catalog notes a durable commit's catalog writes: pruned versions, and history keys, never
// reused while their path lives.
func (m *model) catalog(fail func(string, ...any), writes []persist.Write) {
	prefix := "vault/" + vaultID + "/"
	for _, wr := range writes {
		rest, ours := strings.CutPrefix(wr.Key, prefix)
		if wr.Bucket != persist.Catalog || !ours {
			continue
		}
		switch {
		case strings.HasPrefix(rest, "ver/"):
			addr := strings.TrimPrefix(rest, "ver/")
			if wr.Delete {
				m.pruned[addr] = true
			} else {
				delete(m.pruned, addr)
			}
		case strings.HasPrefix(rest, "hist/") && !wr.Delete:
			v := hex.EncodeToString(wr.Value)
			if old, ok := m.hist[rest]; ok && old != v {
				fail("history key %q reused: version %.12s, then %.12s", rest, old, v)
			}
			m.hist[rest] = v
		case strings.HasPrefix(rest, "path/") && wr.Delete:
			gone := "hist/" + strings.TrimPrefix(rest, "path/") + "\x00"
			for k := range m.hist {
				if strings.HasPrefix(k, gone) {
					delete(m.hist, k)
				}
			}
		}
	}
}

// crashed is called at every crash; what clients were told stays.
func (m *model) crashed() {}

// summary is the end state's digest for the trace.
func (m *model) summary() string {
	return fmt.Sprintf("acked=%d pruned=%d events=%d", len(m.order), len(m.pruned), len(m.events))
}

// live lists the acknowledged versions neither pruned nor tombstones, in order.
func (m *model) live() []string {
	var out []string
	for _, addr := range m.order {
		if !m.pruned[addr] && !m.acked[addr].deleted {
			out = append(out, addr)
		}
	}
	return out
}

// same checks a read of the version: no error, and its body when the writer knew it.
func (v *ackedVersion) same(body string, err error) error {
	if err != nil {
		return fmt.Errorf("does not read back: %w", err)
	}
	if v.known && body != v.body {
		return fmt.Errorf("reads back %q, want %q", body, v.body)
	}
	return nil
}
