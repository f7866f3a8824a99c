package memblocks

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/meshhold/meshhold/persist"
)

// Touch sets a present block's modification time to now (a volatile change, like Put).
func (s *Store) Touch(a persist.Address) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.crashed {
		return ErrCrashed
	}
	if b := s.cur[a]; b != nil {
		s.set(a, &block{data: b.data, mod: s.now()})
	}
	return nil
}

// ModTime returns a block file's modification time; ok is false when there is no such file.
func (s *Store) ModTime(a persist.Address) (mod time.Time, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.crashed {
		return time.Time{}, false, ErrCrashed
	}
	if b := s.cur[a]; b != nil {
		return b.mod, true, nil
	}
	return time.Time{}, false, nil
}

// Walk calls fn for every file present when it starts (empty ones too), in address order; fn
// may call the store, and its error stops the walk and is returned, wrapped.
func (s *Store) Walk(fn func(a persist.Address, modTime time.Time) error) error {
	type file struct {
		a   persist.Address
		mod time.Time
	}
	s.mu.Lock()
	if s.crashed {
		s.mu.Unlock()
		return ErrCrashed
	}
	files := make([]file, 0, len(s.cur))
	for a, b := range s.cur {
		files = append(files, file{a, b.mod})
	}
	s.mu.Unlock()
	slices.SortFunc(files, func(x, y file) int { return bytes.Compare(x.a[:], y.a[:]) })
	for _, f := range files {
		if err := fn(f.a, f.mod); err != nil {
			return fmt.Errorf("memblocks walk: %w", err)
		}
	}
	return nil
}
