// Package memstore is an in-memory persist.Store for core tests and simulations: commits are
// atomic, snapshots are consistent copies-on-write, scans are in byte order.
//
// Durability: bbolt fsyncs inside its transaction, so a commit is durable exactly when Commit
// returns nil. CrashCopy, what a restarted node would find, keeps the state as of the last
// successful commit; a commit in flight (waiting in SlowCommit) is lost whole.
//
// Torn crashes (Faults.TornLastCommit, Faults.TornCrashes) also drop the last successful commit,
// never half of it: bbolt writes a transaction's pages, fsyncs, then writes one of its two
// checksummed meta pages and fsyncs again; a torn meta page fails its checksum, so the reopened
// file uses the other one, which is the previous transaction, whole. Dropping a commit whose
// Commit returned nil is sound only for a crash that follows it before anything acted on its
// success (right after the committer's turn, before its replies are delivered): that crash
// landed inside the commit's fsync. The crash copy's Commits() is then one less.
//
// Faults are deterministic: schedules count Commit calls, probabilities draw from the rand given
// to Faults.SetRand. SlowCommit waits with time.Sleep unless Faults.SetSleep says otherwise:
// virtual time inside a testing/synctest bubble, a real wait outside one.
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
	prev    map[persist.Bucket]map[string][]byte // before the last commit: a torn crash keeps it
	tear    bool                                 // prev is valid: this Store made the last commit
	Buckets []persist.Bucket
	commits int
	crashed bool
	writer  sync.Mutex // one commit at a time, like bbolt's writer lock; readers never wait on it
	faults  *Faults
}

var (
	_ persist.Store     = (*Store)(nil)
	_ persist.Versioned = (*Store)(nil)
)

// New returns an empty store accepting every bucket, with no faults armed.
func New() *Store { return &Store{data: map[persist.Bucket]map[string][]byte{}} }

// Commit applies writes atomically; an injected fault or a crash in flight applies none of them.
func (s *Store) Commit(writes []persist.Write) error {
	f := s.Faults()
	s.writer.Lock()
	defer s.writer.Unlock()
	s.mu.RLock()
	crashed := s.crashed
	s.mu.RUnlock()
	if crashed {
		return ErrCrashed
	}
	for _, w := range writes {
		if s.Buckets != nil && !contains(s.Buckets, w.Bucket) {
			return fmt.Errorf("%w %q", persist.ErrUnknownBucket, w.Bucket)
		}
	}
	delay, injected := f.commit()
	if delay > 0 {
		f.wait(delay) // the transaction's fsync: readers go on, other commits wait
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.crashed {
		return ErrCrashed
	}
	if injected != nil {
		return injected
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
	s.prev, s.data, s.tear = s.data, next, true
	s.commits++
	return nil
}

// Version counts successful commits (persist.Versioned).
func (s *Store) Version() uint64 { return uint64(s.Commits()) }

// Commits counts successful commits; a crash copy keeps the count of the commits it kept.
func (s *Store) Commits() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.commits
}

// Snapshot returns the committed state as of now; later commits do not change it.
func (s *Store) Snapshot() (persist.Snapshot, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.crashed {
		return nil, ErrCrashed
	}
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
