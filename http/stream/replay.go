package stream

import (
	"errors"
	"fmt"

	"github.com/meshhold/meshhold/messages/eventv1"
)

// errReadLog marks a replay that failed on the event log rather than on the connection.
var errReadLog = errors.New("read event log")

// replayChunk is how many log events one read visits; a variable so tests can shrink it.
var replayChunk = 512

// replay sends, from the event log, every event after `after` that the client's filter takes,
// chunk by chunk, and returns the log_seq live streaming must continue above (0: all). See the package
// comment for why this loses and duplicates nothing.
func (s *session) replay(log EventLogReader, after uint64) (uint64, error) {
	cursor := after
	frames := make([][]byte, 0, replayChunk)
	for first := true; ; first = false {
		if !first {
			// Everything queued so far was durable before it was published, so the read
			// below (or a later one) returns it; dropping it keeps the queue from overflowing.
			s.discardQueued()
		}
		frames = frames[:0]
		seen, last := 0, cursor
		oldest, newest, err := log.Read(cursor, replayChunk, func(ev *eventv1.Event) bool {
			seen, last = seen+1, ev.GetLogSeq()
			if !s.c.wants(ev.GetType()) {
				return true
			}
			if e, err := eventOf(ev); err != nil {
				s.log.Warn("event not streamed", "log_seq", ev.GetLogSeq(), "err", err)
			} else {
				frames = append(frames, e.Frame)
			}
			return true
		})
		if err != nil {
			return 0, fmt.Errorf("%w: %w", errReadLog, err)
		}
		if first && after > newest {
			// An id from another history of the log: nothing to replay, and every event queued
			// since the client registered is new to it.
			return 0, nil
		}
		if avail := firstAvailable(oldest, newest); cursor+1 < avail {
			if err := s.send(gapFrame(cursor, avail)); err != nil {
				return 0, err
			}
		}
		for _, f := range frames {
			if _, err := s.w.Write(f); err != nil {
				return 0, err
			}
		}
		if len(frames) > 0 {
			if err := s.rc.Flush(); err != nil {
				return 0, err
			}
		}
		cursor = max(cursor, last)
		if seen < replayChunk || !s.alive() {
			return cursor, nil
		}
	}
}

// firstAvailable is the oldest log_seq a reader can still get: the oldest retained, or the
// next one to be assigned when the log holds nothing.
func firstAvailable(oldest, newest uint64) uint64 {
	if oldest == 0 {
		return newest + 1
	}
	return oldest
}

// discardQueued empties the client's queue without blocking.
func (s *session) discardQueued() {
	for {
		select {
		case <-s.c.Events():
		default:
			return
		}
	}
}
