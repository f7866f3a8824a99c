// Package boltdb is the node's record store: one bbolt file per node, a bucket per domain, a
// schema version with numbered migrations, and atomic commits of many writes at once.
package boltdb

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/meshhold/meshhold/persist"
)

// FileName is the store's file inside the metadata folder.
const FileName = "meshhold.db"

// ErrLocked means another process holds the store: a second daemon on the same folder.
var ErrLocked = errors.New("already running: another meshhold process holds the store")

// Options tune Open.
type Options struct {
	// LockTimeout bounds the wait for the file lock; past it Open fails with ErrLocked.
	LockTimeout time.Duration
	// NoSync skips fsync (simulations and benchmarks of everything but the disk).
	NoSync bool
}

// Store is a persist.Store over bbolt.
type Store struct {
	db      *bolt.DB
	path    string
	version atomic.Uint64 // commits made through this Store
}

var _ persist.Store = (*Store)(nil)

// Open opens (or creates, mode 0600) the store file at path and runs pending migrations.
func Open(path string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, NoSync: opts.NoSync, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w (%s)", ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := migrate(db, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Close releases the file and its lock.
func (s *Store) Close() error { return s.db.Close() }

// Commit applies every write in one transaction: all of them are durable, or none.
func (s *Store) Commit(writes []persist.Write) error {
	err := s.db.Update(func(tx *bolt.Tx) error { return apply(tx, writes) })
	if err == nil {
		s.version.Add(1) // before Commit returns, so whoever acts on the commit sees it
	}
	return err
}

// Version counts the commits made so far (persist.Versioned).
func (s *Store) Version() uint64 { return s.version.Load() }

// appendOnly are the buckets whose keys only grow (big-endian sequence numbers): their pages
// are filled before they split, instead of bbolt's default half, which halves the pages a
// commit writes to them.
var appendOnly = map[persist.Bucket]bool{persist.Events: true, persist.Audit: true}

func apply(tx *bolt.Tx, writes []persist.Write) error {
	var b *bolt.Bucket
	var name persist.Bucket
	for _, w := range writes {
		if b == nil || w.Bucket != name {
			name, b = w.Bucket, tx.Bucket([]byte(w.Bucket))
			if b == nil {
				return fmt.Errorf("%w %q", persist.ErrUnknownBucket, w.Bucket)
			}
			if appendOnly[name] {
				b.FillPercent = 0.95
			}
		}
		var err error
		if w.Delete {
			err = b.Delete([]byte(w.Key))
		} else {
			err = b.Put([]byte(w.Key), w.Value)
		}
		if err != nil {
			return fmt.Errorf("%s %q: %w", w.Bucket, w.Key, err)
		}
	}
	return nil
}

// Snapshot opens a read transaction; Release it promptly, since long readers hold back growth.
func (s *Store) Snapshot() (persist.Snapshot, error) {
	tx, err := s.db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return snapshot{tx}, nil
}

type snapshot struct{ tx *bolt.Tx }

func (s snapshot) Release() { _ = s.tx.Rollback() }

func (s snapshot) Get(b persist.Bucket, key string) ([]byte, bool) {
	bk := s.tx.Bucket([]byte(b))
	if bk == nil {
		return nil, false
	}
	v := bk.Get([]byte(key))
	if v == nil {
		return nil, false
	}
	return bytes.Clone(v), true
}

func (s snapshot) Scan(b persist.Bucket, prefix, after string, fn func(string, []byte) bool) {
	bk := s.tx.Bucket([]byte(b))
	if bk == nil {
		return
	}
	c := bk.Cursor()
	p := []byte(prefix)
	start := p
	if after >= prefix {
		start = []byte(after)
	}
	for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if after != "" && string(k) <= after {
			continue
		}
		if !fn(string(k), v) {
			return
		}
	}
}
