package speedtest

import (
	"bufio"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// server answers speed tests within its limits.
type server struct {
	limits Limits
	served p2p.Served
	mu     sync.Mutex
	active map[p2p.PeerID]p2p.Stream // the admitted tests, by peer
}

// Serve answers speed tests on t within limits (zero fields: the defaults): no test sends
// more than limits.MaxBytes or runs longer than limits.MaxTime plus a grace period, one test
// per peer at a time and MaxConcurrent in all. stop ends the service and every test it runs.
func Serve(t p2p.Transport, limits Limits) (stop func()) {
	srv := &server{limits: limits.withDefaults(), active: map[p2p.PeerID]p2p.Stream{}}
	t.SetStreamHandler(Protocol, srv.handle)
	var once sync.Once
	return func() {
		once.Do(func() {
			t.RemoveStreamHandler(Protocol)
			srv.served.Stop()
		})
	}
}

// admit registers a test from the stream's peer, or says why not.
func (srv *server) admit(s p2p.Stream) string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.active[s.Peer()] != nil || len(srv.active) >= MaxConcurrent {
		return errBusyReply
	}
	srv.active[s.Peer()] = s
	return ""
}

// release ends the stream's test and its registration.
func (srv *server) release(s p2p.Stream) {
	srv.mu.Lock()
	if srv.active[s.Peer()] == s {
		delete(srv.active, s.Peer())
	}
	srv.mu.Unlock()
	srv.served.Release(s)
}

func (srv *server) handle(s p2p.Stream) {
	if !srv.served.Hold(s) {
		_ = s.Reset()
		return
	}
	defer srv.release(s)
	_ = s.SetDeadline(time.Now().Add(srv.limits.MaxTime + grace))
	br := bufio.NewReader(s)
	var req request
	if err := readJSON(br, &req); err != nil || req.V < 1 || req.Pings < 0 || req.Pings > MaxPings {
		_ = s.Reset()
		return
	}
	if why := srv.admit(s); why != "" {
		_ = writeJSON(s, grant{V: 1, Error: why})
		_ = s.Close()
		return
	}
	g := grant{V: 1, MaxBytes: srv.limits.MaxBytes, MaxMs: srv.limits.MaxTime.Milliseconds()}
	if req.MaxBytes > 0 {
		g.MaxBytes = min(g.MaxBytes, req.MaxBytes)
	}
	if req.MaxMs > 0 {
		g.MaxMs = min(g.MaxMs, req.MaxMs)
	}
	if err := writeJSON(s, g); err != nil {
		_ = s.Reset()
		return
	}
	for range req.Pings {
		b, err := readFrame(br, 8)
		if err == nil {
			err = writeFrame(s, b)
		}
		if err != nil {
			_ = s.Reset()
			return
		}
	}
	start := time.Now()
	got, err := receive(br, g.MaxBytes)
	if err != nil {
		_ = s.Reset()
		return
	}
	_ = writeJSON(s, ack{V: 1, Bytes: got, Ms: time.Since(start).Milliseconds()})
	_ = s.Close()
}

// errTooMuch ends a test that sends more than it was granted.
var errTooMuch = errors.New("speedtest: the peer sent more than it was granted")

// receive counts data frames up to the empty end frame, refusing more than max bytes.
func receive(br *bufio.Reader, max int64) (int64, error) {
	var got int64
	for {
		n, err := readLen(br, chunk)
		if err != nil {
			return got, err
		}
		if n == 0 {
			return got, nil
		}
		if got += int64(n); got > max {
			return got, errTooMuch
		}
		if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
			return got, err
		}
	}
}
