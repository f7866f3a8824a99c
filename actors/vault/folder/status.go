package folder

import (
	"errors"
	"time"
)

// Status is a scanner's progress since the last full scan started (later changes included).
type Status struct {
	Folder       string
	Active       bool  // a full scan is running
	Walked       int64 // regular files examined
	Ingested     int64 // versions committed from the folder
	Deleted      int64 // tombstones written for files gone from the folder
	Errors       int64
	LastError    string
	StartedAtMs  int64 // the last full scan's start
	FinishedAtMs int64 // its end; 0 while the first one runs
}

// Status returns the scanner's progress.
func (s *Scanner) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// beginScan resets the counters for a full scan.
func (s *Scanner) beginScan() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = Status{Folder: s.st.Folder, Active: true, StartedAtMs: time.Now().UnixMilli(), FinishedAtMs: s.st.FinishedAtMs}
	s.watchFailed, s.asked = false, false
}

// endScan records the end of a full scan.
func (s *Scanner) endScan() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Active = false
	s.st.FinishedAtMs = max(time.Now().UnixMilli(), s.st.StartedAtMs)
}

// count adds one to a counter.
func (s *Scanner) count(field *int64) {
	s.mu.Lock()
	*field++
	s.mu.Unlock()
}

// fail counts and logs an error; context cancellation (the scanner stopping) is not one.
func (s *Scanner) fail(err error) {
	if errors.Is(err, errStopped) || s.ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	s.st.Errors++
	s.st.LastError = err.Error()
	s.mu.Unlock()
	s.log.Warn("folder vault", "err", err)
}
