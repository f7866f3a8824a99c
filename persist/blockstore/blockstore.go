// Package blockstore keeps content-addressed block files under the data folder: fan-out folders
// by address, written to a temporary file and renamed into place without an fsync each; Sync
// makes every block written so far durable with one syncfs(2) on the folder's file system.
package blockstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/meshhold/meshhold/persist"
)

// Store is a persist.BlockStore over a folder.
type Store struct {
	root    string
	written atomic.Uint64 // Puts completed
	syncMu  sync.Mutex
	synced  uint64 // Puts covered by the last Sync
}

var _ persist.BlockStore = (*Store)(nil)

// Open prepares root (creating it at mode 0700) and clears temporary files a crash left.
func Open(root string) (*Store, error) {
	for _, dir := range []string{root, filepath.Join(root, "tmp")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("blockstore: %w", err)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(root, "tmp", "*"))
	for _, f := range leftovers {
		_ = os.Remove(f)
	}
	return &Store{root: root}, nil
}

func (s *Store) path(a persist.Address) string {
	h := a.String()
	return filepath.Join(s.root, h[:2], h[2:4], h)
}

// Put writes data to a temporary file and renames it to its address.
func (s *Store) Put(a persist.Address, data []byte) error {
	final := s.path(a)
	if fi, err := os.Stat(final); err == nil && fi.Size() == int64(len(data)) && fi.Size() > 0 {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "put-*")
	if err != nil {
		return fmt.Errorf("blockstore put %s: %w", a, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(final), 0o700)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("blockstore put %s: %w", a, err)
	}
	s.written.Add(1)
	return nil
}

// Get reads and verifies the block.
func (s *Store) Get(a persist.Address) ([]byte, error) {
	data, err := os.ReadFile(s.path(a))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("block %s: %w", a, persist.ErrBlockMissing)
	case err != nil:
		return nil, fmt.Errorf("blockstore get %s: %w", a, err)
	case len(data) == 0 || persist.AddressOf(data) != a:
		return nil, fmt.Errorf("block %s: content does not match its address: %w", a, persist.ErrBlockMissing)
	}
	return data, nil
}

// Has reports whether a non-empty block file exists for a.
func (s *Store) Has(a persist.Address) (bool, error) {
	fi, err := os.Stat(s.path(a))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("blockstore has %s: %w", a, err)
	}
	return fi.Size() > 0, nil
}

// Delete removes the block file.
func (s *Store) Delete(a persist.Address) error {
	if err := os.Remove(s.path(a)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blockstore delete %s: %w", a, err)
	}
	return nil
}

// Sync calls syncfs(2) once when blocks were written since the last Sync.
func (s *Store) Sync() error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	target := s.written.Load()
	if target == s.synced {
		return nil
	}
	f, err := os.Open(s.root)
	if err != nil {
		return fmt.Errorf("blockstore sync: %w", err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("blockstore syncfs: %w", err)
	}
	s.synced = target
	return nil
}

// Root is the folder the blocks live in.
func (s *Store) Root() string { return s.root }
