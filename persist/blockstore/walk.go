package blockstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/meshhold/meshhold/persist"
)

// Touch sets a present block's modification time to now: an upload that matched an old block
// makes it young again, so a sweep's grace period counts from the last use, not the first.
func (s *Store) Touch(a persist.Address) error {
	now := time.Now()
	if err := os.Chtimes(s.path(a), now, now); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blockstore touch %s: %w", a, err)
	}
	return nil
}

// Walk calls fn for every block file with its modification time, in ascending address order
// (the fan-out folders and file names are hex); files whose names are not addresses (and the
// tmp folder) are skipped. An error from fn stops
// the walk and is returned.
func (s *Store) Walk(fn func(a persist.Address, modTime time.Time) error) error {
	top, err := os.ReadDir(s.root)
	if err != nil {
		return fmt.Errorf("blockstore walk: %w", err)
	}
	for _, d1 := range top {
		if !d1.IsDir() || len(d1.Name()) != 2 {
			continue
		}
		err := filepath.WalkDir(filepath.Join(s.root, d1.Name()), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil // removed while walking
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			a, perr := persist.ParseAddress(d.Name())
			if perr != nil {
				return nil
			}
			fi, ierr := d.Info()
			if ierr != nil {
				return nil // removed while walking
			}
			return fn(a, fi.ModTime())
		})
		if err != nil {
			return fmt.Errorf("blockstore walk: %w", err)
		}
	}
	return nil
}

// ModTime returns a block file's modification time; ok is false when there is no such file.
func (s *Store) ModTime(a persist.Address) (mod time.Time, ok bool, err error) {
	fi, err := os.Stat(s.path(a))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("blockstore stat %s: %w", a, err)
	}
	return fi.ModTime(), true, nil
}

// Size returns a block file's size in bytes; ok is false when there is no such file.
func (s *Store) Size(a persist.Address) (size int64, ok bool, err error) {
	fi, err := os.Stat(s.path(a))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("blockstore stat %s: %w", a, err)
	}
	return fi.Size(), true, nil
}
