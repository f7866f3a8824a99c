package folder

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/meshhold/meshhold/messages"
)

// run is the worker: full scans when due, then the paths that have been quiet long enough.
func (s *Scanner) run() {
	defer s.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
		if s.fullDue() {
			s.fullScan()
		}
		s.handleDue()
		timer.Reset(s.untilNext())
	}
}

// fullDue reports whether the next full scan's time has come.
func (s *Scanner) fullDue() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !time.Now().Before(s.nextFull)
}

// fullScan syncs the whole folder and schedules the next one.
func (s *Scanner) fullScan() {
	s.beginScan()
	start := time.Now()
	err := s.syncTree("", true)
	s.endScan()
	s.mu.Lock()
	if !s.asked { // else the one asked for (an unlock, an overflow) runs next
		s.nextFull = time.Now().Add(s.cfg.Rescan)
	}
	s.locked = errors.Is(err, messages.ErrLocked) && !s.asked
	if s.locked {
		clear(s.pending) // the scan after the unlock sees everything
	}
	st := s.st
	s.mu.Unlock()
	if err != nil {
		s.fail(err)
		return
	}
	s.log.Info("folder scanned", "walked", st.Walked, "ingested", st.Ingested, "deleted", st.Deleted,
		"errors", st.Errors, "took", time.Since(start).Round(time.Millisecond))
}

// handleDue handles the paths quiet for Debounce, the gone ones first (their watches go before a move's).
func (s *Scanner) handleDue() {
	now := time.Now()
	s.mu.Lock()
	if s.locked {
		clear(s.pending)
		s.mu.Unlock()
		return
	}
	due := map[string]fsnotify.Op{}
	for rel, c := range s.pending {
		if now.Sub(c.at) >= s.cfg.Debounce {
			due[rel] = c.ops
			delete(s.pending, rel)
		}
	}
	s.mu.Unlock()
	exists := map[string]bool{}
	for rel := range due {
		_, err := os.Lstat(filepath.Join(s.root, rel))
		exists[rel] = err == nil
	}
	order := slices.SortedFunc(maps.Keys(due), func(a, b string) int {
		if exists[a] != exists[b] {
			if exists[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	for i, rel := range order {
		err := s.handle(rel, due[rel])
		switch {
		case err == nil:
			continue
		case errors.Is(err, messages.ErrLocked):
			s.mu.Lock()
			s.locked = true
			clear(s.pending)
			s.mu.Unlock()
		case transient(err):
			s.requeue(order[i:]...) // the vault actor is restarting or slow: try again later
		}
		s.fail(err)
		return
	}
}

// handle syncs one reported path; a directory not just created is only watched again.
func (s *Scanner) handle(rel string, ops fsnotify.Op) error {
	abs := filepath.Join(s.root, rel)
	fi, err := os.Lstat(abs)
	switch {
	case err != nil && !gone(err):
		s.fail(err)
		return nil
	case err != nil:
		s.unwatchUnder(abs)
	case fi.IsDir() && !ops.Has(fsnotify.Create):
		s.watch(abs)
		return nil
	case fi.IsDir():
		// A directory made or moved in: its watches are added as it is walked, and a file
		// written into it meanwhile (or a watch a moved tree's old name still held) can slip
		// between them; a full scan soon after, coalesced with any other, catches it.
		defer s.scheduleFull(2 * s.cfg.Debounce)
	}
	return s.syncTree(rel, false)
}

// requeue marks paths to be handled again once quiet.
func (s *Scanner) requeue(rels ...string) {
	if s.ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	for _, rel := range rels {
		c := s.pending[rel]
		s.pending[rel] = change{ops: c.ops | fsnotify.Write, at: time.Now()}
	}
	s.mu.Unlock()
	s.poke()
}

// untilNext is how long the worker may sleep: until the next full scan or pending path.
func (s *Scanner) untilNext() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.nextFull
	for _, c := range s.pending {
		if d := c.at.Add(s.cfg.Debounce); d.Before(next) {
			next = d
		}
	}
	return max(time.Until(next), time.Millisecond)
}

// transient reports an error after which the same work may succeed soon.
func transient(err error) bool {
	return errors.Is(err, messages.ErrUnavailable) || errors.Is(err, messages.ErrStorage) || errors.Is(err, context.DeadlineExceeded)
}
