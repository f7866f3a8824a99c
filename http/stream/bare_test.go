package stream_test

import (
	"net/http"
	"sync"
)

// bareHub is the benchmark's anchor: the minimal SSE broadcaster without a bus. The publisher
// hands it ready frames; each client has a buffered channel (same size as the real queue,
// dropped when full) and its handler writes and flushes every frame as it comes.
type bareHub struct {
	mu      sync.Mutex
	clients map[chan []byte]struct{}
	closed  chan struct{}
}

func newBareHub() *bareHub {
	return &bareHub{clients: map[chan []byte]struct{}{}, closed: make(chan struct{})}
}

// publish sends frame to every client without blocking; a full client is dropped.
func (h *bareHub) publish(frame []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.clients {
		select {
		case ch <- frame:
		default:
			delete(h.clients, ch)
			close(ch)
		}
	}
}

func (h *bareHub) close() { close(h.closed) }

// ServeHTTP is the anchor's SSE handler.
func (h *bareHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ch := make(chan []byte, 1024)
	h.mu.Lock()
	h.clients[ch] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.clients, ch)
		h.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_, _ = w.Write([]byte(": connected\n\n"))
	_ = rc.Flush()
	for {
		select {
		case f, ok := <-ch:
			if !ok {
				return
			}
			if _, err := w.Write(f); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-h.closed:
			return
		}
	}
}
