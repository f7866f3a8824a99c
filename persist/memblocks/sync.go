package memblocks

import (
	"fmt"

	"github.com/meshhold/meshhold/persist"
)

// Sync makes every change made before the call durable; see the package doc for what it skips.
func (s *Store) Sync() error {
	// Like the real one, a Sync with nothing to sync returns at once: no fault, no delay. A
	// failed Sync makes nothing durable (after a failed fsync the kernel may have dropped the
	// pages); a crash while it waits leaves its changes unsynced and it returns ErrCrashed.
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.mu.Lock()
	if s.crashed {
		s.mu.Unlock()
		return ErrCrashed
	}
	if len(s.dirty) == 0 {
		s.mu.Unlock()
		return nil
	}
	pending := make(map[persist.Address]*block, len(s.dirty))
	for a := range s.dirty {
		pending[a] = s.cur[a]
	}
	delay, injected := s.faults.sync()
	s.mu.Unlock()
	if delay > 0 {
		s.faults.wait(delay) // Puts go on meanwhile; they are not covered by this Sync
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.crashed {
		return ErrCrashed
	}
	if injected != nil {
		return fmt.Errorf("memblocks sync: %w", injected)
	}
	for a, b := range pending {
		if b == nil {
			delete(s.disk, a)
		} else {
			s.disk[a] = b
		}
		if s.cur[a] == b {
			delete(s.dirty, a)
		}
	}
	return nil
}

// Durable reports whether a is present and a crash now would keep it as it is.
func (s *Store) Durable(a persist.Address) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, dirty := s.dirty[a]
	return s.cur[a] != nil && !dirty
}

// Unsynced counts the blocks whose changes a crash now could lose.
func (s *Store) Unsynced() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.dirty)
}
