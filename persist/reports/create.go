package reports

import (
	"archive/zip"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/meshhold/meshhold/messages"
)

// Section is one file of a report: its name inside the zip and its content.
type Section struct {
	Name string
	Data []byte
}

// Create writes sections as a new zip report, atomically (a temporary file, fsync, rename, fsync
// of the folder) at mode 0600, then deletes the oldest reports beyond Keep. A folder that can no
// longer be written is ErrUnavailable; a failure while writing is messages.ErrStorage.
func (s *Store) Create(sections []Section) (Info, error) {
	if err := checkSections(sections); err != nil {
		return Info{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	id := newID(now)
	tmp, err := os.CreateTemp(s.dir, tmpPrefix+"*.tmp") // mode 0600
	if err != nil {
		return Info{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	for _, sec := range sections {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: sec.Name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return Info{}, storageErr(err)
		}
		if _, err := w.Write(sec.Data); err != nil {
			return Info{}, storageErr(err)
		}
	}
	if err := errors.Join(zw.Close(), tmp.Sync()); err != nil {
		return Info{}, storageErr(err)
	}
	fi, err := tmp.Stat()
	if err != nil {
		return Info{}, storageErr(err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, storageErr(err)
	}
	if err := os.Rename(tmp.Name(), s.path(id)); err != nil {
		return Info{}, storageErr(err)
	}
	done = true
	if err := syncDir(s.dir); err != nil {
		return Info{}, storageErr(err)
	}
	_ = s.prune(id) // the report is saved; an old one that could not go is retried next time
	return info(id, fi.Size()), nil
}

// checkSections refuses empty, duplicate and path-like section names.
func checkSections(sections []Section) error {
	seen := make(map[string]bool, len(sections))
	for _, sec := range sections {
		n := sec.Name
		if n == "" || strings.ContainsAny(n, `/\`) || n == "." || n == ".." || path.Clean(n) != n || seen[n] {
			return fmt.Errorf("reports: section name %q is empty, a path or a duplicate", n)
		}
		seen[n] = true
	}
	return nil
}

// storageErr wraps a failure to write a report as messages.ErrStorage (503).
func storageErr(err error) error {
	return fmt.Errorf("%w: write report: %v", messages.ErrStorage, err)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
