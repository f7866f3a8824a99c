package memnet

import (
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// maxChunk caps the bytes one chunk carries; a larger Write becomes several chunks.
const maxChunk = 64 << 10

// stream is one stream between an opener (side 0) and an acceptor (side 1).
type stream struct {
	id    string // the channel key prefix: s, opener, acceptor, protocol, k
	label string // protocol@opener.k, for the trace
	proto string
	link  *link
	peers [2]p2p.PeerID
	pipes [2]*pipe // pipes[i] carries what ends[i] writes
	ends  [2]*end  // ends[1] exists once the open is delivered
}

// end is one side's p2p.Stream. Reads block (on a sync.Cond, which a synctest bubble counts as
// durably blocked) until bytes, EOF, a reset or the deadline; writes never block: bytes are queued
// without a window and delivered, in order, by Step.
type end struct {
	net     *Network
	s       *stream
	side    int
	cond    sync.Cond
	buf     []byte
	eof     bool
	reset   bool
	rclosed bool
	wclosed bool
	expired bool
	dl      *frame
	dlc     channel
}

var _ p2p.Stream = (*end)(nil)

func (n *Network) newEnd(s *stream, side int) *end {
	e := &end{net: n, s: s, side: side, dlc: n.newChannel(chanKey(s.id, "dl"+strconv.Itoa(side)))}
	e.cond.L = &n.mu
	s.ends[side] = e
	return e
}

// Read reads bytes delivered so far, blocking until there are some.
func (e *end) Read(p []byte) (int, error) {
	e.net.mu.Lock()
	defer e.net.mu.Unlock()
	for {
		switch {
		case e.reset:
			return 0, ErrReset
		case e.rclosed:
			return 0, ErrClosed
		case len(e.buf) > 0:
			k := copy(p, e.buf)
			if e.buf = e.buf[k:]; len(e.buf) == 0 {
				e.buf = nil
			}
			return k, nil
		case e.eof:
			return 0, io.EOF
		case e.expired:
			return 0, os.ErrDeadlineExceeded
		case len(p) == 0:
			return 0, nil
		}
		e.cond.Wait()
	}
}

// Write queues p for the peer; it fails only once the stream is reset, closed or past its deadline.
func (e *end) Write(p []byte) (int, error) {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case e.reset:
		return 0, ErrReset
	case e.wclosed:
		return 0, ErrClosed
	case e.expired:
		return 0, os.ErrDeadlineExceeded
	}
	n.count(e.s.peers[e.side], e.s.peers[1-e.side], len(p))
	for rest := p; len(rest) > 0; {
		k := min(len(rest), maxChunk)
		n.enqueue(e.s.pipes[e.side], chunk{kind: chunkData, data: slices.Clone(rest[:k])}, 0)
		rest = rest[k:]
	}
	return len(p), nil
}

// CloseWrite ends our direction; the peer reads EOF after the bytes already written.
func (e *end) CloseWrite() error {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if e.reset {
		return ErrReset
	}
	e.closeWriteLocked()
	return nil
}

func (e *end) closeWriteLocked() {
	if !e.wclosed {
		e.wclosed = true
		e.net.enqueue(e.s.pipes[e.side], chunk{kind: chunkEOF}, 0)
	}
}

// Close ends our direction and stops reading; bytes still arriving are discarded.
func (e *end) Close() error {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if e.reset {
		return nil
	}
	e.closeWriteLocked()
	e.rclosed, e.buf = true, nil
	n.unschedule(e.dl)
	e.dl = nil
	e.cond.Broadcast()
	return nil
}

// Reset aborts both directions: our side fails at once, the peer's when the reset reaches it.
func (e *end) Reset() error {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if e.reset {
		return nil
	}
	n.resetEnd(e)
	n.clearPipe(e.s.pipes[1-e.side])
	out := e.s.pipes[e.side]
	if !out.torn { // even after our EOF went through: the peer may still be writing
		n.unschedule(out.armed)
		out.armed, out.queue = nil, nil
		n.enqueue(out, chunk{kind: chunkReset}, 0)
	}
	return nil
}

// SetDeadline makes blocked and later reads and writes fail with os.ErrDeadlineExceeded once the
// network's clock reaches t; the zero time clears it. The deadline is a heap frame, so it passes
// only when Step (or Run) reaches it.
func (e *end) SetDeadline(t time.Time) error {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	n.unschedule(e.dl)
	e.dl, e.expired = nil, false
	switch {
	case e.reset || t.IsZero():
	case !t.After(n.nowLocked()):
		e.expired = true
		e.cond.Broadcast()
	default:
		e.dl = n.schedule(&e.dlc, t, &frame{kind: kindDeadline, end: e})
	}
	return nil
}

// Peer is the peer at the other end.
func (e *end) Peer() p2p.PeerID { return e.s.peerOf(e.side) }

// Protocol is the protocol the stream was opened on.
func (e *end) Protocol() string { return e.s.proto }

// resetEnd fails e's reads and writes from now on.
func (n *Network) resetEnd(e *end) {
	e.reset, e.buf = true, nil
	n.unschedule(e.dl)
	e.dl = nil
	e.cond.Broadcast()
}

// deliverDeadline expires a deadline that the clock reached.
func (n *Network) deliverDeadline(f *frame) {
	e := f.end
	e.dl, e.expired = nil, true
	e.cond.Broadcast()
	n.tracef(f.at, "stream", "deadline", e.s.peers[e.side], e.Peer(), e.s.label, f.n, nil)
}
