// Package memblocks is an in-memory persist.BlockStore (and blockgc.Store) for simulations,
// with the semantics of persist/blockstore and the durability of its block files.
//
// Durability: Put, Delete and Touch change a volatile layer, like a rename without fsync; Sync
// makes every change made before it durable, like syncfs(2). CrashCopy, what a restarted node
// would find, keeps the files as of the last completed Sync. Each change made since can also
// survive whole (a page cache that happened to flush), or, for a new block, as an empty file
// (the rename reached the disk, the data did not) or a prefix: per block, drawn from the seeded
// rand with the probabilities of Faults.SurviveCrash (none by default). A damaged survivor reads
// as persist.ErrBlockMissing, and a later Put of the block rewrites it, as on disk.
//
// Faults are deterministic: schedules count calls, probabilities draw from the rand given to
// Faults.SetRand. SlowSync waits with time.Sleep unless Faults.SetSleep says otherwise: virtual
// time inside a testing/synctest bubble, a real wait outside one.
package memblocks

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/meshhold/meshhold/persist"
)

// Store keeps blocks in two layers, what readers see and what a crash would leave; use New.
type Store struct {
	mu      sync.Mutex
	syncMu  sync.Mutex // one Sync at a time
	now     func() time.Time
	cur     map[persist.Address]*block   // the files as readers see them
	disk    map[persist.Address]*block   // the files as a crash would leave them
	dirty   map[persist.Address]struct{} // where cur and disk differ
	crashed bool
	faults  *Faults
}

// block is one block file; never changed in place, so both layers may share it.
type block struct {
	data []byte // may be empty or a prefix of the block after a crash
	mod  time.Time
}

var _ persist.BlockStore = (*Store)(nil)

// Option configures New.
type Option func(*Store)

// WithClock sets the clock of modification times (default time.Now: virtual in a synctest bubble).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New returns an empty store with no faults armed.
func New(opts ...Option) *Store {
	s := &Store{
		now:    time.Now,
		cur:    map[persist.Address]*block{},
		disk:   map[persist.Address]*block{},
		dirty:  map[persist.Address]struct{}{},
		faults: &Faults{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Faults returns the store's fault controller.
func (s *Store) Faults() *Faults { return s.faults }

// Put stores data under a, volatile until Sync; a non-empty file of the same size makes it a no-op.
func (s *Store) Put(a persist.Address, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.crashed {
		return ErrCrashed
	}
	if b := s.cur[a]; b != nil && len(b.data) == len(data) && len(data) > 0 {
		return nil
	}
	if err := s.faults.put(len(data)); err != nil {
		return fmt.Errorf("memblocks put %s: %w", a, err)
	}
	s.set(a, &block{data: bytes.Clone(data), mod: s.now()})
	return nil
}

// Get returns the block, verified against a; missing, empty or corrupt is persist.ErrBlockMissing.
func (s *Store) Get(a persist.Address) ([]byte, error) { return s.ReadBlock(a, nil) }

// ReadBlock is Get into dst's storage (grown when too small), as blockstore.ReadBlock.
func (s *Store) ReadBlock(a persist.Address, dst []byte) ([]byte, error) {
	s.mu.Lock()
	if s.crashed {
		s.mu.Unlock()
		return nil, ErrCrashed
	}
	b := s.cur[a]
	if b == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("block %s: %w", a, persist.ErrBlockMissing)
	}
	dst = append(dst[:0], b.data...)
	dst = s.faults.read(a, dst) // the read faults damage the bytes; the check below catches them
	s.mu.Unlock()
	switch {
	case len(dst) == 0:
		return nil, fmt.Errorf("block %s: empty file: %w", a, persist.ErrBlockMissing)
	case persist.AddressOf(dst) != a:
		return nil, fmt.Errorf("block %s: content does not match its address: %w", a, persist.ErrBlockMissing)
	}
	return dst, nil
}

// Has reports whether a non-empty block file exists for a (an EmptyOnRead block has none).
func (s *Store) Has(a persist.Address) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.crashed {
		return false, ErrCrashed
	}
	b := s.cur[a]
	return b != nil && len(b.data) > 0 && !s.faults.emptyOnRead(a), nil
}

// Delete removes the block from the volatile layer; deleting a missing block is not an error.
func (s *Store) Delete(a persist.Address) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.crashed {
		return ErrCrashed
	}
	if s.cur[a] != nil {
		s.set(a, nil)
	}
	return nil
}

// set changes the volatile layer (nil: delete); s.mu is held.
func (s *Store) set(a persist.Address, b *block) {
	if b == nil {
		delete(s.cur, a)
	} else {
		s.cur[a] = b
	}
	if s.disk[a] == b {
		delete(s.dirty, a)
	} else {
		s.dirty[a] = struct{}{}
	}
}
