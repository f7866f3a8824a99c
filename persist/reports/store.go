// Package reports keeps diagnostics reports: zip bundles in one private folder, each written
// atomically (a temporary file, fsync, rename) at mode 0600, and only the newest Keep of them,
// so reports never fill the disk. Redact and MaskValues keep credentials out of what goes in.
package reports

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/meshhold/meshhold/messages"
)

// Keep is how many reports a Store keeps; creating one more deletes the oldest.
const Keep = 20

// ErrUnavailable is wrapped by every error that means the reports folder cannot be created or
// written; the API answers it with 503.
var ErrUnavailable = errors.New("no writable reports folder")

// Info describes a saved report.
type Info struct {
	ID        string // the file name without .zip
	Name      string // the file name
	SizeBytes int64
	CreatedMs int64 // milliseconds since the epoch, from the ID
}

// Store is a reports folder. It is safe for concurrent use.
type Store struct {
	dir  string
	keep int
	now  func() time.Time
	mu   sync.Mutex // one Create or Delete at a time, so pruning sees every report
}

// Open creates dir (0700) if needed and proves it writable with a probe file; errors wrap
// ErrUnavailable. Temporary files a crash left behind are removed.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: no folder configured", ErrUnavailable)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	probe, err := os.CreateTemp(dir, tmpPrefix+"probe-*")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	_, werr := probe.Write([]byte("ok"))
	cerr := probe.Close()
	_ = os.Remove(probe.Name())
	if err := errors.Join(werr, cerr); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, dir, err)
	}
	s := &Store{dir: dir, keep: Keep, now: time.Now}
	s.removeTemps()
	return s, nil
}

// List returns the saved reports, newest first.
func (s *Store) List() ([]Info, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	out := []Info{}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ext)
		if !ok || !validID(id) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		out = append(out, info(id, fi.Size()))
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(b.ID, a.ID) }) // IDs sort by time
	return out, nil
}

// Open opens the report id for reading (the reader is an *os.File, so it can also seek);
// an unknown or malformed id is messages.ErrNotFound ("report not found").
func (s *Store) Open(id string) (io.ReadCloser, Info, error) {
	if !validID(id) {
		return nil, Info{}, errNotFound
	}
	f, err := os.Open(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, errNotFound
	} else if err != nil {
		return nil, Info{}, fmt.Errorf("reports: open %s: %w", id, err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, Info{}, errNotFound
	}
	return f, info(id, fi.Size()), nil
}

// Delete removes the report id; an unknown or malformed id is messages.ErrNotFound.
func (s *Store) Delete(id string) error {
	if !validID(id) {
		return errNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := os.Remove(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return errNotFound
	} else if err != nil {
		return fmt.Errorf("reports: delete %s: %w", id, err)
	}
	return nil
}

var errNotFound = messages.NotFound("report")

// path is where the report id lives; id must be valid.
func (s *Store) path(id string) string { return filepath.Join(s.dir, id+ext) }

// prune deletes the oldest reports beyond s.keep, never fresh (the one just written).
func (s *Store) prune(fresh string) error {
	all, err := s.List()
	if err != nil {
		return err
	}
	others := 0
	var errs []error
	for _, r := range all {
		if r.ID == fresh {
			continue
		}
		if others++; others < s.keep { // keep-1 others, newest first, beside fresh
			continue
		}
		if err := os.Remove(s.path(r.ID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeTemps deletes temporary files left by a crash in the middle of a Create.
func (s *Store) removeTemps() {
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
}
