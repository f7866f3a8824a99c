package memstore

import (
	"errors"
	"slices"

	"github.com/meshhold/meshhold/persist"
)

// ErrCrashed is returned by a store after Crash, and by a commit that was in flight then.
var ErrCrashed = errors.New("memstore: store crashed")

// CrashCopy returns what a node restarted now would find (see the package doc); s goes on.
func (s *Store) CrashCopy() *Store {
	f := s.Faults()
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.crashCopy(f)
}

// Crash is CrashCopy that also kills s: its later calls, and a commit in flight, get ErrCrashed.
func (s *Store) Crash() *Store {
	f := s.Faults()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crashed = true
	return s.crashCopy(f)
}

// crashCopy builds the crash copy; s.mu is held.
func (s *Store) crashCopy(f *Faults) *Store {
	data, commits := s.data, s.commits
	if f.tornCrash(s.tear && commits > 0) {
		data, commits = s.prev, commits-1
	}
	if data == nil {
		data = map[persist.Bucket]map[string][]byte{}
	}
	// The copy has s's Buckets and Faults (the same disk), and Commits counts what it kept. A
	// commit the copy did not make cannot be torn (tear false). The maps are never written in
	// place (commits copy on write), so sharing them is safe.
	return &Store{data: data, Buckets: slices.Clone(s.Buckets), commits: commits, faults: f}
}
