package memnet

import (
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// chunkKind is what one chunk of a stream direction carries.
type chunkKind uint8

const (
	chunkOpen  chunkKind = iota // the open, first on the opener's direction
	chunkData                   // bytes
	chunkEOF                    // CloseWrite
	chunkReset                  // Reset, or a refused or dropped open
)

// chunk is one write (or control) on a stream direction; at is when it arrives, never before the
// chunk ahead of it.
type chunk struct {
	at         time.Time
	kind       chunkKind
	data       []byte
	drop, held bool // for opens
}

// pipe is one direction of a stream: a FIFO of chunks with at most one heap frame, for its head.
// A head that meets a cut stalls the pipe until Heal or the timeout, so bytes never reorder or
// vanish while the stream lives.
type pipe struct {
	channel
	s       *stream
	side    int // the end that writes into it
	queue   []chunk
	armed   *frame // the heap frame for queue[0]
	stalled bool
	stall   *frame // the timeout of the stall
	lastAt  time.Time
	done    bool // an EOF or reset went through, or the pipe was torn down
	torn    bool // torn down: nothing more is accepted or delivered
}

func (p *pipe) dir() dir { return dir{p.s.peers[p.side], p.s.peers[1-p.side]} }

// enqueue appends c, arriving Delay+jitter+extra from now but never before the chunk ahead of it.
func (n *Network) enqueue(p *pipe, c chunk, extra time.Duration) {
	if p.torn {
		return
	}
	at := n.nowLocked().Add(n.latency(p.rng) + extra)
	if at.Before(p.lastAt) {
		at = p.lastAt
	}
	c.at, p.lastAt = at, at
	p.queue = append(p.queue, c)
	if p.armed == nil && !p.stalled {
		p.armed = n.schedule(&p.channel, at, &frame{kind: kindPipe, pipe: p})
	}
}

// clearPipe tears p down: nothing queued arrives and nothing more is accepted.
func (n *Network) clearPipe(p *pipe) {
	n.unschedule(p.armed)
	n.unschedule(p.stall)
	p.armed, p.stall, p.stalled, p.queue, p.done, p.torn = nil, nil, false, nil, true, true
}

// deliverPipe delivers p's head chunk, or stalls p if its direction is cut.
func (n *Network) deliverPipe(f *frame) []func() {
	p := f.pipe
	p.armed = nil
	if p.torn || len(p.queue) == 0 {
		return nil
	}
	d := p.dir()
	if n.cut[d] {
		p.stalled = true
		n.stats.Stalled++
		n.tracef(f.at, "stream", "stall", d.from, d.to, p.s.label, f.n, nil)
		p.stall = n.schedule(&p.channel, f.at.Add(n.timeout), &frame{kind: kindStall, pipe: p})
		return nil
	}
	c := p.queue[0]
	p.queue = p.queue[1:]
	var out []func()
	to := p.s.ends[1-p.side]
	switch c.kind {
	case chunkOpen:
		out = n.deliverOpen(f, p, c)
	case chunkData:
		if to == nil || to.reset || to.rclosed {
			n.tracef(f.at, "stream", "discard", d.from, d.to, p.s.label, f.n, c.data)
			break
		}
		n.tracef(f.at, "stream", "deliver", d.from, d.to, p.s.label, f.n, c.data)
		to.buf = append(to.buf, c.data...)
		to.cond.Broadcast()
	case chunkEOF:
		n.tracef(f.at, "stream", "eof", d.from, d.to, p.s.label, f.n, nil)
		p.done = true
		if to != nil {
			to.eof = true
			to.cond.Broadcast()
		}
		n.forgetIfDone(p.s)
	case chunkReset:
		n.stats.Resets++
		n.tracef(f.at, "stream", "reset", d.from, d.to, p.s.label, f.n, nil)
		n.clearPipe(p)
		n.clearPipe(p.s.pipes[1-p.side])
		if to != nil {
			n.resetEnd(to)
		}
		delete(p.s.link.streams, p.s.id)
	}
	if len(p.queue) > 0 && !p.torn {
		p.armed = n.schedule(&p.channel, p.queue[0].at, &frame{kind: kindPipe, pipe: p})
	}
	return out
}

// unstall resumes a stalled pipe after Heal: its head goes out again after a fresh latency.
func (n *Network) unstall(p *pipe) {
	n.unschedule(p.stall)
	p.stall, p.stalled = nil, false
	if len(p.queue) == 0 || p.armed != nil {
		return
	}
	at := n.nowLocked().Add(n.latency(p.rng))
	if at.Before(p.queue[0].at) {
		at = p.queue[0].at
	}
	p.armed = n.schedule(&p.channel, at, &frame{kind: kindPipe, pipe: p})
}

// deliverStall resets a stream whose direction stayed cut for the whole timeout.
func (n *Network) deliverStall(f *frame) {
	p := f.pipe
	p.stall = nil
	if !p.stalled {
		return
	}
	n.stats.Timeouts++
	d := p.dir()
	n.tracef(f.at, "stream", "timeout", d.from, d.to, p.s.label, f.n, nil)
	n.resetStream(p.s, "timeout")
}

// resetStream resets both ends of s at once and forgets it.
func (n *Network) resetStream(s *stream, reason string) {
	n.stats.Resets++
	n.tracef(n.nowLocked(), "stream", "reset:"+reason, s.peers[0], s.peers[1], s.label, 0, nil)
	for i := range s.ends {
		n.clearPipe(s.pipes[i])
		if e := s.ends[i]; e != nil {
			n.resetEnd(e)
		}
	}
	delete(s.link.streams, s.id)
}

// forgetIfDone drops s from its link once both directions finished.
func (n *Network) forgetIfDone(s *stream) {
	if s.pipes[0].done && s.pipes[1].done {
		delete(s.link.streams, s.id)
	}
}

// peerOf returns the id at the other end of side.
func (s *stream) peerOf(side int) p2p.PeerID { return s.peers[1-side] }
