package memblocks

import (
	"bytes"
	"errors"
	"slices"

	"github.com/meshhold/meshhold/persist"
)

// ErrCrashed is returned by a store after Crash, and by a Sync that was in flight then.
var ErrCrashed = errors.New("memblocks: store crashed")

// CrashCopy returns what a node restarted now would find (see the package doc); s goes on.
func (s *Store) CrashCopy() *Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.crashCopy()
}

// Crash is CrashCopy that also kills s: its later calls, and a Sync in flight, get ErrCrashed.
func (s *Store) Crash() *Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crashed = true
	return s.crashCopy()
}

// crashCopy builds the crash copy: s's clock and Faults (the same disk), every file durable;
// s.mu is held.
func (s *Store) crashCopy() *Store {
	c := New(WithClock(s.now))
	c.faults = s.faults
	for a, b := range s.disk {
		c.cur[a] = b
	}
	changed := make([]persist.Address, 0, len(s.dirty))
	for a := range s.dirty {
		changed = append(changed, a)
	}
	slices.SortFunc(changed, func(x, y persist.Address) int { return bytes.Compare(x[:], y[:]) })
	for _, a := range changed { // address order: the draws do not depend on map order
		if b := s.faults.survive(s.disk[a], s.cur[a]); b != nil {
			c.cur[a] = b
		} else {
			delete(c.cur, a)
		}
	}
	for a, b := range c.cur {
		c.disk[a] = b
	}
	return c
}
