package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/simulations/sim"
)

// roomStreamMax is what one catch-up stream sends at most (p2p/chat's MaxPull, scaled down so
// that a pull takes several streams).
const roomStreamMax = 12

// publish gossips a committed envelope from n: each other node gets a copy after a delay,
// unless it is down, a partition separates it, or the copy is dropped; some copies arrive twice.
func (w *roomWorld) publish(n *roomNode, env messages.ChatEnvelope) {
	for _, m := range w.nodes {
		if m == n || m.down || w.cutOff(n, m) {
			continue
		}
		if sim.Chance(w.rng, w.opt.DropP) {
			sim.Sometimes(roomGossipDropped)
			continue
		}
		copies := 1
		if sim.Chance(w.rng, w.opt.DupP) {
			sim.Sometimes(roomGossipDuplicated)
			copies = 2
		}
		for range copies {
			m.inbox = append(m.inbox, roomMail{at: w.now.Add(time.Duration(w.rng.IntN(30_000)) * time.Millisecond), from: n.name, env: env})
		}
	}
}

// deliver hands node n up to k of the gossip copies due to it, in a seeded order, as one batch.
func (w *roomWorld) deliver(n *roomNode, k int) {
	if n.down {
		return
	}
	var due []int
	for i, m := range n.inbox {
		if !m.at.After(w.now) {
			due = append(due, i)
		}
	}
	if len(due) == 0 {
		return
	}
	first := due[0]
	w.rng.Shuffle(len(due), func(i, j int) { due[i], due[j] = due[j], due[i] })
	take := due[:min(k, len(due))]
	if take[0] != first || !slices.IsSorted(take) {
		sim.Sometimes(roomGossipReordered)
	}
	var batch []messages.ChatEnvelope
	forged := 0
	for _, i := range take {
		batch = append(batch, n.inbox[i].env)
		if n.inbox[i].from == roomForger {
			forged++
		}
	}
	from := n.inbox[take[0]].from
	gone := map[int]bool{}
	for _, i := range take {
		gone[i] = true
	}
	rest := n.inbox[:0:0]
	for i, m := range n.inbox {
		if !gone[i] {
			rest = append(rest, m)
		}
	}
	n.inbox = rest
	w.receive(n, from, batch, forged, true)
}

// receive stores a batch at n (ReceiveEnvelopes). Every genuine envelope must be taken or
// dropped as a duplicate; only the forged ones and those from a clock too far ahead may be
// refused. With repair, the gaps the reply reports start a pull from the peer that sent the
// batch, as p2p/chat's gap job does, once the reply is out (after the commit).
func (w *roomWorld) receive(n *roomNode, from string, batch []messages.ChatEnvelope, forged int, repair bool) (messages.ChatReceived, bool) {
	rep, ok := w.step(n, messages.ReceiveEnvelopes{From: from, Envelopes: batch}).(messages.ChatReceived)
	if !ok {
		w.fail("%s: receive from %s refused the batch", n.name, from)
		return rep, false
	}
	ahead := 0
	for _, r := range rep.Reasons {
		if strings.Contains(r, "ahead of this node's clock") {
			ahead++
		}
	}
	if ahead > 0 {
		sim.Sometimes(roomClockAhead)
	}
	// Reasons are capped: what they list must be explained, and the whole count when no clock
	// runs ahead.
	if len(rep.Reasons)-ahead > forged || (w.opt.AheadNode < 0 && rep.Rejected > forged) {
		w.fail("%s: refused %d envelopes from %s, %d of them forged: %v", n.name, rep.Rejected, from, forged, rep.Reasons)
		return rep, false
	}
	if rep.Duplicate > 0 {
		sim.Sometimes(roomDuplicateDropped)
	}
	if n.relay && rep.Added > 0 {
		sim.Sometimes(roomRelayStored)
	}
	w.onCommit(n, roomEffect{
		ack: func() {
			if len(rep.Gaps) == 0 {
				return
			}
			sim.Sometimes(roomGapReported)
			src := w.byName(from)
			if !repair || src == nil || !sim.Chance(w.rng, 0.6) {
				return
			}
			before := len(w.gaps(n))
			if w.pull(n, src, false) > 0 && len(w.gaps(n)) < before {
				sim.Sometimes(roomGapRepaired)
			}
		},
		lost: func() { sim.Sometimes(roomCrashLostBatch) },
	})
	w.maybeFlush(n)
	return rep, true
}

// pull catches dst up from src as p2p/chat does: dst's heads go to src, which streams what dst
// lacks page by page (ChatSince, the heads moving past each page), up to roomStreamMax per
// stream; dst stores the envelopes in batches (each reply awaited, so each batch is durable
// before the next); streams follow while src had more and the last one added something. A
// cut pull stops after its first batch. It returns how many envelopes dst added.
func (w *roomWorld) pull(dst, src *roomNode, cut bool) int {
	if w.err != nil || dst == src {
		return 0
	}
	if dst.down || src.down || w.cutOff(dst, src) {
		sim.Sometimes(roomPullRefused)
		w.run.Trace.At(w.now, dst.name, 0, "pull refused", src.name, nil)
		return 0
	}
	w.flush(dst) // the status read is answered after dst's staged writes are durable
	st, ok := w.query(dst, messages.GetRoomStatus{}).(messages.RoomStatus)
	if !ok {
		w.fail("%s: status refused", dst.name)
		return 0
	}
	heads, total, batchSize := st.Heads, 0, 1+w.rng.IntN(4)
	w.run.Trace.At(w.now, dst.name, 0, "pull from", src.name, heads)
	for streams := 0; w.err == nil; streams++ {
		if streams > 200 {
			w.fail("%s: the pull from %s never ended", dst.name, src.name)
			return total
		}
		// src answers only from durable records: its staged steps commit first, or it crashes.
		if len(src.pending) > 0 && !w.settling && sim.Chance(w.rng, 0.05) {
			sim.Sometimes(roomCrashRefusedPull)
			w.crash(src, false)
			return total
		}
		w.flush(src)
		h := maps.Clone(heads)
		if h == nil {
			h = map[string]uint64{}
		}
		var batch []messages.ChatEnvelope
		added, sent, more, stop := 0, 0, false, false
		store := func() {
			if len(batch) == 0 || stop {
				return
			}
			rep, ok := w.receive(dst, src.name, batch, 0, false)
			batch = nil
			if !ok {
				stop = true
				return
			}
			added += rep.Added
			if !w.settling && sim.Chance(w.rng, 0.03) {
				w.crash(dst, false) // before the batch's commit: the pull ends with it
				stop = true
				return
			}
			w.flush(dst)
			if cut {
				sim.Sometimes(roomPullCut)
				stop = true
			}
		}
		for !stop {
			page, ok := w.step(src, messages.ChatSince{Heads: maps.Clone(h), Limit: min(w.opt.PageLimit, roomStreamMax-sent)}).(messages.ChatEnvelopes)
			if !ok {
				w.fail("%s: since refused", src.name)
				return total
			}
			for _, env := range page.Envelopes {
				h[env.Sender] = max(h[env.Sender], env.Seq)
				if batch = append(batch, env); len(batch) >= batchSize {
					store()
				}
			}
			sent += len(page.Envelopes)
			if page.More {
				sim.Sometimes(roomPullPaged)
			}
			if !page.More || sent >= roomStreamMax || len(page.Envelopes) == 0 {
				more = page.More
				break
			}
		}
		store()
		total += added
		if stop || !more || added == 0 {
			return total
		}
		st, ok := w.query(dst, messages.GetRoomStatus{}).(messages.RoomStatus)
		if !ok {
			w.fail("%s: status refused", dst.name)
			return total
		}
		heads = st.Heads
	}
	return total
}

// gaps is what node n knows it lacks.
func (w *roomWorld) gaps(n *roomNode) []messages.ChatGap {
	st, _ := w.query(n, messages.GetRoomStatus{}).(messages.RoomStatus)
	return st.Gaps
}

func (w *roomWorld) byName(name string) *roomNode {
	for _, n := range w.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

// String shows a mail in failure messages.
func (m roomMail) String() string {
	return fmt.Sprintf("%s/%d from %s at %s", m.env.Sender, m.env.Seq, m.from, m.at.Sub(sim.Epoch))
}
