package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/simulations/sim"
)

// step runs one message at node n as its host does: the core decides over the node's overlay
// (durable records plus the writes staged since the last commit) and its writes are staged in
// turn. Nothing is acknowledged here: the caller releases effects with onCommit.
func (w *roomWorld) step(n *roomNode, msg any) any {
	if w.err != nil || n.down {
		return nil
	}
	snap, _ := n.work.Snapshot()
	out := n.core.Step(w.clock(n), msg, snap)
	snap.Release()
	if len(out.Writes) > 0 {
		if err := n.work.Commit(out.Writes); err != nil {
			w.fail("%s: stage: %v", n.name, err)
			return nil
		}
		n.pending = append(n.pending, out.Writes...)
		n.events = append(n.events, out.Events...)
	} else if len(out.Events) > 0 {
		w.fail("%s: %T reported %d events and wrote nothing", n.name, msg, len(out.Events))
	}
	if sent, ok := out.Reply.(messages.ChatSent); ok { // the overlay holds the send until its commit
		n.staged[chatRef{n.name, sent.Envelope.Seq}] = sent.Envelope.Hash()
	}
	w.run.Trace.At(w.now, n.name, uint64(len(n.pending)), fmt.Sprintf("%T", msg), sim.Kind(out.Reply), out.Reply)
	for _, ev := range out.Events {
		w.run.Trace.At(w.now, n.name, 0, "event:"+ev.Type, "", ev.Data)
	}
	w.checkWrites(n, out.Writes)
	return out.Reply
}

// query asks node n something that writes nothing (a client read, a check), untraced.
func (w *roomWorld) query(n *roomNode, msg any) any {
	snap, _ := n.work.Snapshot()
	out := n.core.Step(w.clock(n), msg, snap)
	snap.Release()
	if len(out.Writes) > 0 {
		w.fail("%s: the read %T wrote %d records", n.name, msg, len(out.Writes))
	}
	return out.Reply
}

// onCommit releases e once the node's staged writes are durable, at once when none are staged:
// the host answers a read only after the writes it may have seen.
func (w *roomWorld) onCommit(n *roomNode, e roomEffect) {
	if len(n.pending) == 0 && len(n.effects) == 0 {
		if e.durable != nil {
			e.durable()
		}
		if e.ack != nil {
			e.ack()
		}
		return
	}
	n.effects = append(n.effects, e)
}

// maybeFlush lets the committer take the node's staged steps now, or leaves them to be grouped
// with later ones.
func (w *roomWorld) maybeFlush(n *roomNode) {
	if sim.Chance(w.rng, w.opt.FlushP) {
		w.flush(n)
	}
}

// flush commits the node's staged writes in one transaction and releases their effects in order.
func (w *roomWorld) flush(n *roomNode) {
	if w.err != nil || n.down || (len(n.pending) == 0 && len(n.effects) == 0) {
		return
	}
	if len(n.pending) > 0 {
		if err := n.durable.Commit(n.pending); err != nil {
			w.fail("%s: commit: %v", n.name, err)
			return
		}
		for _, wr := range n.pending {
			n.buckets[wr.Bucket] = true
		}
	}
	w.run.Trace.At(w.now, n.name, uint64(len(n.pending)), "commit", "", nil)
	w.told(n, n.events)
	effects := n.effects
	n.pending, n.events, n.effects, n.work = nil, nil, nil, n.durable.CrashCopy()
	for _, e := range effects {
		if e.durable != nil {
			e.durable()
		}
	}
	for _, e := range effects {
		if e.ack != nil && w.err == nil {
			e.ack()
		}
	}
}

// told records the chat_message events a commit made durable (what webhooks and the room's
// stream deliver): a member tells each message exactly once, whatever arrives twice or is
// lost in a crash and received again; a relay, which cannot read them, tells none.
func (w *roomWorld) told(n *roomNode, events []host.Event) {
	for _, ev := range events {
		if ev.Type != "chat_message" {
			continue
		}
		h, _ := ev.Data.(map[string]any)["content_hash"].(string)
		switch {
		case n.relay:
			w.fail("%s: a relay told a chat_message %s", n.name, h)
		case n.told[h]:
			w.fail("%s: told the chat_message %.8s twice", n.name, h)
		}
		n.told[h] = true
	}
}

// crash kills node n: what it staged is lost with the effects waiting on it, and so is the
// gossip in flight to it. It restarts at once (its core reloaded from its durable records) or
// stays down until comeBack.
func (w *roomWorld) crash(n *roomNode, stayDown bool) {
	if n.down {
		return
	}
	w.run.Trace.At(w.now, n.name, uint64(len(n.pending)), "crash", fmt.Sprint(stayDown), nil)
	for _, e := range n.effects {
		if e.lost != nil {
			e.lost()
		}
	}
	n.durable = n.durable.Crash()
	if stayDown {
		n.down, n.core, n.pending, n.effects, n.inbox = true, nil, nil, nil, nil
		return
	}
	w.reload(n)
}

// comeBack restarts a node that was down; it catches up from the relay first (always on, in
// the deployments relays serve), then from a member.
func (w *roomWorld) comeBack(n *roomNode) {
	n.down = false
	w.run.Trace.At(w.now, n.name, 0, "come back", "", nil)
	w.reload(n)
	if !n.relay {
		if w.pull(n, w.relay(), false) > 0 {
			sim.Sometimes(roomOfflineCaughtUp)
		}
	}
	others := w.up(w.members())
	if len(others) > 0 {
		w.pull(n, sim.Pick(w.rng, others), false)
	}
}

// send posts a message at member n, as POST /rooms/:id/messages does: the reply — and with it
// the envelope to publish — comes once the message is durable.
func (w *roomWorld) send(n *roomNode) {
	w.sent++
	mark := fmt.Sprintf("%s %s #%d", roomMarker, n.name, w.sent)
	body := messages.ChatBody{Type: messages.ChatTypeText, Text: mark}
	switch w.rng.IntN(8) {
	case 0:
		body = messages.ChatBody{Type: messages.ChatTypeLocation, Location: &messages.ChatLocation{
			Lat: float64(w.rng.IntN(18000))/100 - 90, Lng: float64(w.rng.IntN(36000))/100 - 180, Label: mark}}
	case 1:
		sum := sha256.Sum256([]byte(mark))
		body = messages.ChatBody{Type: messages.ChatTypeFile, File: &messages.ChatFileRef{
			ID: hex.EncodeToString(sum[:]), Name: mark, ContentType: "text/plain"}}
	}
	var nonce [24]byte
	for i := range nonce {
		nonce[i] = byte(w.nonces.Uint32())
	}
	sent, ok := w.step(n, messages.SendMessage{Body: body, Nonce: nonce}).(messages.ChatSent)
	if !ok {
		w.fail("%s: send refused", n.name)
		return
	}
	env := sent.Envelope
	if got := messageText(sent.Message); got != mark || !sent.Message.IsSelf || sent.Message.ID != env.Hash().String() {
		w.fail("%s: send answered message %+v for %q", n.name, sent.Message, mark)
		return
	}
	if len(n.staged) > 1 {
		sim.Sometimes(roomGroupCommit)
	}
	w.onCommit(n, roomEffect{
		durable: func() { w.committed(n, env, mark) },
		ack:     func() { w.publish(n, env) },
		lost: func() {
			sim.Sometimes(roomCrashLostSend)
			w.lost = append(w.lost, mark)
			if n.lostSeq == 0 || env.Seq < n.lostSeq {
				n.lostSeq = env.Seq
			}
		},
	})
	w.maybeFlush(n)
}

// committed records a durable send as the truth every node must converge to (its reply, and
// the publication of its envelope, follow) and checks it extends its sender's committed chain:
// no fork, even after a send lost in a crash.
func (w *roomWorld) committed(n *roomNode, env messages.ChatEnvelope, text string) {
	ref := chatRef{n.name, env.Seq}
	delete(n.staged, ref)
	want, wantPrev, prevTs := uint64(1), messages.ChatHash{}, int64(0)
	if last, ok := w.last[n.name]; ok {
		want, wantPrev, prevTs = last.seq+1, w.truth[last].hash, w.truth[last].ts
	}
	if env.Seq != want || env.Prev != wantPrev || env.TsMs <= prevTs {
		w.fail("%s: fork: committed seq %d (prev %.8s, ts %d) after seq %d (hash %.8s, ts %d)",
			n.name, env.Seq, env.Prev, env.TsMs, want-1, wantPrev, prevTs)
		return
	}
	w.truth[ref] = chatTruth{hash: env.Hash(), ts: env.TsMs, text: text, env: env}
	w.order = append(w.order, ref)
	w.last[n.name] = ref
	if n.lostSeq != 0 && env.Seq >= n.lostSeq {
		if env.Seq == n.lostSeq {
			sim.Sometimes(roomSeqReused)
		}
		n.lostSeq = 0
	}
}

// markRead moves member n's read marker, as POST /rooms/:id/read does, and checks its unread
// count once the marker is durable.
func (w *roomWorld) markRead(n *roomNode) {
	ts := w.clock(n).UnixMilli() - int64(w.rng.IntN(120_000))
	if len(w.order) > 0 && w.rng.IntN(2) == 0 {
		ts = w.truth[sim.Pick(w.rng, w.order)].ts
	}
	if _, ok := w.step(n, messages.MarkRead{TsMs: ts}).(messages.RoomStatus); !ok {
		w.fail("%s: mark read %d refused", n.name, ts)
		return
	}
	w.onCommit(n, roomEffect{
		durable: func() {
			if ts > w.readTs[n.name] {
				w.readTs[n.name] = ts
				sim.Sometimes(roomReadMoved)
			}
		},
		ack: func() { w.checkUnread(n, w.listAll(n, messages.MaxChatPage)) },
	})
	w.maybeFlush(n)
}

// messageText is the marker-bearing plaintext of a listed message.
func messageText(m messages.ChatMessage) string {
	switch {
	case m.Location != nil:
		return m.Location.Label
	case m.File != nil:
		return m.File.Name
	}
	return m.Text
}
