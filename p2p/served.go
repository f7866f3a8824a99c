package p2p

import "sync"

// Served tracks the streams a protocol's handlers are serving, so stopping the service can
// reset them and wait until every handler has returned. The zero value is ready.
type Served struct {
	mu      sync.Mutex
	stopped bool
	streams map[Stream]struct{}
	wg      sync.WaitGroup
}

// Hold registers a stream a handler starts serving; false once Stop was called (the handler
// should reset the stream and return). A held stream is Released by its handler.
func (s *Served) Hold(st Stream) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return false
	}
	if s.streams == nil {
		s.streams = map[Stream]struct{}{}
	}
	s.streams[st] = struct{}{}
	s.wg.Add(1)
	return true
}

// Release ends a held stream's registration.
func (s *Served) Release(st Stream) {
	s.mu.Lock()
	delete(s.streams, st)
	s.mu.Unlock()
	s.wg.Done()
}

// Stop refuses new streams, resets the held ones and waits for their handlers to return.
func (s *Served) Stop() {
	s.mu.Lock()
	s.stopped = true
	for st := range s.streams {
		_ = st.Reset()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
