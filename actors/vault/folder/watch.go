package folder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// events collects fsnotify's reports into the pending set while the worker ingests.
func (s *Scanner) events() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case ev, ok := <-s.watcher.Events:
			if !ok {
				return
			}
			s.note(ev)
		case err, ok := <-s.watcher.Errors:
			if !ok {
				return
			}
			s.watchError(err)
		}
	}
}

// note marks an event's path pending; the folder itself going away schedules a full scan.
func (s *Scanner) note(ev fsnotify.Event) {
	rel, err := filepath.Rel(s.root, ev.Name)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return
	}
	if rel == "." {
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
			s.scheduleFull(s.cfg.Debounce)
		}
		return
	}
	if isTemp(filepath.Base(rel)) {
		return
	}
	s.mu.Lock()
	first := len(s.pending) == 0
	c := s.pending[rel]
	s.pending[rel] = change{ops: c.ops | ev.Op, at: time.Now()}
	s.mu.Unlock()
	if first { // later events only push deadlines back: the worker's timer already covers them
		s.poke()
	}
}

// watchError handles an fsnotify error: a queue overflow lost events, so a full scan follows.
func (s *Scanner) watchError(err error) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		s.log.Warn("folder events overflowed: rescanning")
		s.scheduleFull(s.cfg.Debounce)
		return
	}
	s.fail(fmt.Errorf("watch %s: %w", s.root, err))
}

// scheduleFull brings the next full scan forward to d from now.
func (s *Scanner) scheduleFull(d time.Duration) {
	s.mu.Lock()
	if at := time.Now().Add(d); at.Before(s.nextFull) {
		s.nextFull = at
	}
	s.asked = true
	s.mu.Unlock()
	s.poke()
}

// watch adds a directory's watch, reporting the first failure of a full scan (the inotify limit).
func (s *Scanner) watch(dir string) {
	if s.watcher == nil {
		return
	}
	if err := s.watcher.Add(dir); err != nil && !gone(err) {
		s.mu.Lock()
		first := !s.watchFailed
		s.watchFailed = true
		s.mu.Unlock()
		if first {
			s.fail(fmt.Errorf("watch %s: %w (rescans still see its changes)", dir, err))
		}
	}
}

// unwatchUnder drops the watches of a directory gone and of everything that was under it.
func (s *Scanner) unwatchUnder(dir string) {
	if s.watcher == nil {
		return
	}
	for _, w := range s.watcher.WatchList() {
		if w == dir || strings.HasPrefix(w, dir+string(filepath.Separator)) {
			_ = s.watcher.Remove(w)
		}
	}
}

// pruneWatches drops watches of paths no longer directories (a moved tree's children keep old names).
func (s *Scanner) pruneWatches() {
	if s.watcher == nil {
		return
	}
	for _, w := range s.watcher.WatchList() {
		stat := os.Lstat
		if w == s.root {
			stat = os.Stat // the folder itself may be a symlink
		}
		if fi, err := stat(w); err != nil || !fi.IsDir() {
			_ = s.watcher.Remove(w)
		}
	}
}
