package chat

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
)

// job is the sync work a room wants; jobs asked for while one runs merge into the next.
type job struct {
	first []p2p.PeerID // peers to pull from first: they delivered what revealed a gap
	check []p2p.PeerID // peers to compare heads with (one that connected)
	all   bool         // compare heads with every holder (a round, a room just joined)
	gap   bool         // a gap: wait GapDelay, then pull while gaps remain, every holder if need be
}

func (j job) empty() bool { return len(j.first) == 0 && len(j.check) == 0 && !j.all && !j.gap }

func (j job) merge(o job) job {
	j.first = append(j.first, o.first...)
	j.check = append(j.check, o.check...)
	j.all = j.all || o.all
	j.gap = j.gap || o.gap
	return j
}

// jobQueue holds a room's pending job and wakes its sync goroutine.
type jobQueue struct {
	mu   sync.Mutex
	next job
	kick chan struct{}
}

// request adds j to the room's pending work; it never blocks.
func (r *roomLink) request(j job) {
	q := &r.jobs
	q.mu.Lock()
	q.next = q.next.merge(j)
	q.mu.Unlock()
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// take removes the pending job.
func (q *jobQueue) take() job {
	q.mu.Lock()
	defer q.mu.Unlock()
	j := q.next
	q.next = job{}
	return j
}

// syncLoop runs the room's jobs one at a time, at most MaxPulls rooms at once.
func (r *roomLink) syncLoop() {
	s := r.s
	defer s.wg.Done()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.jobs.kick:
		}
		j := r.jobs.take()
		if j.gap && !j.all && len(j.check) == 0 {
			select { // let reordered gossip fill the gap, and a burst's gaps share one pull
			case <-r.ctx.Done():
				return
			case <-time.After(s.cfg.GapDelay):
			}
			j = j.merge(r.jobs.take())
		}
		if j.empty() {
			continue
		}
		select {
		case <-r.ctx.Done():
			return
		case s.pullSem <- struct{}{}:
		}
		r.run(j)
		<-s.pullSem
	}
}

// run does one job: with gaps known, it pulls from each candidate until none remain; with
// none, it asks the peers to check for their heads and pulls from those ahead.
func (r *roomLink) run(j job) {
	s := r.s
	st, err := r.status()
	if err != nil {
		return
	}
	checked := map[p2p.PeerID]bool{}
	for _, p := range j.check {
		checked[p] = true
	}
	order := slices.Concat(j.first, j.check)
	if j.all || j.gap {
		order = append(order, s.holders(r)...)
	}
	tried := map[p2p.PeerID]bool{s.t.Self(): true}
	for _, peer := range order {
		if tried[peer] || r.ctx.Err() != nil {
			continue
		}
		tried[peer] = true
		gaps := len(st.Gaps) > 0
		if (!gaps && !j.all && !checked[peer]) || !s.due(peer) {
			continue
		}
		if !gaps {
			h, err := remoteHeads(r.ctx, s.t, peer, r.id, s.cfg.Timeout)
			if r.settle(peer, err) != nil || !ahead(h.Heads, st.Heads) {
				continue
			}
		}
		if err := r.settle(peer, r.pull(peer, st.Heads)); errors.Is(err, errLocal) {
			return
		}
		if st, err = r.status(); err != nil {
			return
		}
	}
}

// errLocal marks a failure of this node (its Room), which ends a job without blaming the peer.
var errLocal = errors.New("chat: local room")

// settle books the outcome of a question to peer and passes err on.
func (r *roomLink) settle(peer p2p.PeerID, err error) error {
	s := r.s
	switch {
	case err == nil:
		s.ok(peer)
	case r.ctx.Err() != nil, errors.Is(err, errLocal):
	case errors.Is(err, ErrNoRoom):
		s.stats.notHolder.Add(1) // not a holder: nothing to back off from
	default:
		s.stats.pullErrors.Add(1)
		s.failed(peer)
		s.log.Warn("chat: catch-up failed", "room", r.id, "peer", peer, "err", err)
	}
	return err
}

// status is the room's status here; an error ends the job.
func (r *roomLink) status() (messages.RoomStatus, error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.s.cfg.Timeout)
	defer cancel()
	st, err := r.s.cfg.Room.Status(ctx, r.id)
	if err != nil && r.ctx.Err() == nil && !notHeld(err) {
		r.s.log.Warn("chat: room status", "room", r.id, "err", err)
	}
	return st, err
}

// ahead reports whether theirs has a sender's message that ours lacks.
func ahead(theirs, ours map[string]uint64) bool {
	for sender, seq := range theirs {
		if seq > ours[sender] {
			return true
		}
	}
	return false
}

// pull asks peer for what the room lacks past heads and hands it to the Room in batches, in
// the order it arrives, stream after stream while the peer has more and the last one added
// something.
func (r *roomLink) pull(peer p2p.PeerID, heads map[string]uint64) error {
	s := r.s
	for {
		s.stats.pulls.Add(1)
		var batch []messages.ChatEnvelope
		added := 0
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			ctx, cancel := context.WithTimeout(r.ctx, s.cfg.Timeout)
			res, err := s.cfg.Room.Receive(ctx, r.id, peer, batch)
			cancel()
			s.stats.pulled.Add(uint64(len(batch)))
			batch = batch[:0]
			if err != nil {
				return errors.Join(errLocal, err)
			}
			s.count(res)
			added += res.Added
			return nil
		}
		_, more, err := remoteSince(r.ctx, s.t, peer, r.id, heads, MaxPull, s.cfg.Timeout, func(env messages.ChatEnvelope) error {
			if batch = append(batch, env); len(batch) >= s.cfg.Batch {
				return flush()
			}
			return nil
		})
		if ferr := flush(); err == nil {
			err = ferr
		}
		if err != nil || !more || added == 0 {
			return err
		}
		st, err := r.status()
		if err != nil {
			return errors.Join(errLocal, err)
		}
		heads = st.Heads
	}
}
