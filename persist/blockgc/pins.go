// Package blockgc reclaims block files no vault needs: orphans whose reference count fell to
// zero (after a grace period), blocks nothing ever referenced (cut or failed uploads), and the
// blocks of an upload known to have failed. Pins keep every block an in-flight upload wrote or
// matched out of its reach.
package blockgc

import (
	"sync"

	"github.com/meshhold/meshhold/messages"
)

// Pins is a multiset of block addresses that must not be deleted, safe for concurrent use. The
// collector decides and deletes while holding its lock, so a block is either pinned before the
// collector looks (and kept) or pinned after the deletion (and written again by its upload).
// A nil *Pins pins nothing.
type Pins struct {
	mu sync.Mutex
	n  map[messages.BlockAddr]int
}

// NewPins returns an empty pin set.
func NewPins() *Pins { return &Pins{n: map[messages.BlockAddr]int{}} }

// Pin adds one pin on a; it waits while the collector is deciding.
func (p *Pins) Pin(a messages.BlockAddr) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.n[a]++
	p.mu.Unlock()
}

// Unpin removes one pin on a (a no-op when a is not pinned).
func (p *Pins) Unpin(a messages.BlockAddr) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if c := p.n[a]; c > 1 {
		p.n[a] = c - 1
	} else {
		delete(p.n, a)
	}
	p.mu.Unlock()
}

// Pinned reports whether a holds at least one pin.
func (p *Pins) Pinned(a messages.BlockAddr) bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[a] > 0
}

// Len is how many distinct addresses are pinned.
func (p *Pins) Len() int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.n)
}

// Locked runs fn with the pin lock held: no pin is added or removed until fn returns, and
// pinned reads the set. Keep fn short (one decision and one deletion).
func (p *Pins) Locked(fn func(pinned func(messages.BlockAddr) bool)) {
	if p == nil {
		fn(func(messages.BlockAddr) bool { return false })
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(func(a messages.BlockAddr) bool { return p.n[a] > 0 })
}
