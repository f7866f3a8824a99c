package blockgc

import (
	"context"
	"sort"
	"sync"

	"github.com/meshhold/meshhold/messages"
)

// MemCatalog is an in-memory Catalog for tests and simulations: reference counts per vault,
// with an orphan record whenever a count falls to zero, as the vault actor keeps them.
type MemCatalog struct {
	mu      sync.Mutex
	refs    map[orphan]int
	orphans map[orphan]int64
}

// NewMemCatalog returns an empty catalog.
func NewMemCatalog() *MemCatalog {
	return &MemCatalog{refs: map[orphan]int{}, orphans: map[orphan]int64{}}
}

// AddRef counts one more reference to addr in vault (and clears its orphan record).
func (m *MemCatalog) AddRef(vault string, addr messages.BlockAddr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := orphan{vault, addr}
	m.refs[k]++
	delete(m.orphans, k)
}

// DropRef counts one reference less; at zero the block becomes an orphan since nowMs.
func (m *MemCatalog) DropRef(vault string, addr messages.BlockAddr, nowMs int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := orphan{vault, addr}
	if m.refs[k] <= 1 {
		delete(m.refs, k)
		m.orphans[k] = nowMs
		return
	}
	m.refs[k]--
}

// Orphans lists the orphan records in (vault, address) order.
func (m *MemCatalog) Orphans(ctx context.Context, fn func(string, messages.BlockAddr, int64) bool) error {
	m.mu.Lock()
	keys := make([]orphan, 0, len(m.orphans))
	for k := range m.orphans {
		keys = append(keys, k)
	}
	since := make([]int64, len(keys))
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].vault != keys[j].vault {
			return keys[i].vault < keys[j].vault
		}
		return keys[i].addr.String() < keys[j].addr.String()
	})
	for i, k := range keys {
		since[i] = m.orphans[k]
	}
	m.mu.Unlock()
	for i, k := range keys {
		if !fn(k.vault, k.addr, since[i]) {
			break
		}
	}
	return ctx.Err()
}

// StillOrphan reports whether vault still records addr as an orphan.
func (m *MemCatalog) StillOrphan(vault string, addr messages.BlockAddr) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.orphans[orphan{vault, addr}]
	return ok, nil
}

// Referenced reports whether any vault counts or lists addr.
func (m *MemCatalog) Referenced(addr messages.BlockAddr) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.refs {
		if k.addr == addr {
			return true, nil
		}
	}
	for k := range m.orphans {
		if k.addr == addr {
			return true, nil
		}
	}
	return false, nil
}

// Forget drops orphan records.
func (m *MemCatalog) Forget(_ context.Context, vault string, addrs []messages.BlockAddr) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range addrs {
		delete(m.orphans, orphan{vault, a})
	}
	return nil
}
