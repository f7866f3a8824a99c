// Package memstore is an in-memory persist.Store for core tests and simulations: commits are
// atomic, snapshots are consistent copies-on-write, scans are in byte order.
package memstore

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/meshhold/meshhold/persist"
)

// Store holds records per bucket; Buckets lists the buckets commits may write (nil: any).
type Store struct {
	mu      sync.RWMutex
	data    map[persist.Bucket]map[string][]byte
	Buckets []persist.Bucket
	commits int
}

var _ persist.Store = (*Store)(nil)

// New returns an empty store accepting every bucket.
func New() *Store { return &Store{data: map[persist.Bucket]map[string][]byte{}} }

// Commit applies writes atomically.
func (s *Store) Commit(writes []persist.Write) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range writes {
		if s.Buckets != nil && !contains(s.Buckets, w.Bucket) {
			return fmt.Errorf("%w %q", persist.ErrUnknownBucket, w.Bucket)
		}
	}
	next := make(map[persist.Bucket]map[string][]byte, len(s.data))
	for b, m := range s.data {
		next[b] = m
	}
	copied := map[persist.Bucket]bool{}
	for _, w := range writes {
		if !copied[w.Bucket] {
			m := make(map[string][]byte, len(next[w.Bucket])+1)
			for k, v := range next[w.Bucket] {
				m[k] = v
			}
			next[w.Bucket], copied[w.Bucket] = m, true
		}
		if w.Delete {
			delete(next[w.Bucket], w.Key)
		} else {
			next[w.Bucket][w.Key] = bytes.Clone(w.Value)
		}
	}
	s.data = next
	s.commits++
	return nil
}

// Version counts successful commits (persist.Versioned).
func (s *Store) Version() uint64 { return uint64(s.Commits()) }

// Commits counts successful commits.
func (s *Store) Commits() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.commits
}

// Snapshot returns the committed state as of now; later commits do not change it.
func (s *Store) Snapshot() (persist.Snapshot, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return snapshot{data: s.data}, nil
}

// Close does nothing.
func (s *Store) Close() error { return nil }

type snapshot struct {
	data map[persist.Bucket]map[string][]byte
}

func (snapshot) Release() {}

func (s snapshot) Get(b persist.Bucket, key string) ([]byte, bool) {
	v, ok := s.data[b][key]
	return bytes.Clone(v), ok
}

func (s snapshot) Scan(b persist.Bucket, prefix, after string, fn func(string, []byte) bool) {
	m := s.data[b]
	keys := make([]string, 0, len(m))
	for k := range m {
		if strings.HasPrefix(k, prefix) && (after == "" || k > after) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn(k, m[k]) {
			return
		}
	}
}

func contains(bs []persist.Bucket, b persist.Bucket) bool {
	for _, x := range bs {
		if x == b {
			return true
		}
	}
	return false
}
