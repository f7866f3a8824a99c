package scenarios

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/simulations/sim"
)

// checkStore checks every envelope record node n holds — staged (the overlay later steps see)
// or durable — with checkEnvelope, and returns how many there are.
func (w *roomWorld) checkStore(n *roomNode, staged bool) int {
	store := n.durable
	if staged {
		store = n.work
	}
	snap, err := store.Snapshot()
	if err != nil {
		w.fail("%s: snapshot: %v", n.name, err)
		return 0
	}
	defer snap.Release()
	count := 0
	snap.Scan(persist.Chat, w.envelopePrefix(), "", func(k string, v []byte) bool {
		count++
		w.checkEnvelope(n, k, v, staged)
		return w.err == nil
	})
	return count
}

// checkWrites checks the envelope records among a step's writes: every record a store holds
// came in through one, so checking each as it is staged covers the store at every step.
func (w *roomWorld) checkWrites(n *roomNode, writes []persist.Write) {
	prefix := w.envelopePrefix()
	for _, wr := range writes {
		if wr.Bucket == persist.Chat && strings.HasPrefix(wr.Key, prefix) {
			if wr.Delete {
				w.fail("%s: step deleted the envelope record %q", n.name, wr.Key)
				return
			}
			w.checkEnvelope(n, wr.Key, wr.Value, true)
		}
	}
}

// envelopePrefix is where actors/room keeps the room's envelopes: e/<sender>\x00<seq BE8>.
func (w *roomWorld) envelopePrefix() string { return messages.RoomKind + "/" + w.id + "/e/" }

// checkEnvelope checks one stored envelope against what its sender committed: under its
// (sender, seq) key and equal, byte for byte of its signed part, to the sender's committed
// message, so every stored chain is its sender's chain (no fork, no forgery, no send lost in a
// crash). A node's own staged sends are the only envelopes allowed that are not committed yet.
func (w *roomWorld) checkEnvelope(n *roomNode, k string, v []byte, staged bool) {
	env, err := messages.UnmarshalChatEnvelope(v)
	if err != nil {
		w.fail("%s: stored envelope %q: %v", n.name, k, err)
		return
	}
	if want := w.envelopePrefix() + env.Sender + "\x00" + string(binary.BigEndian.AppendUint64(nil, env.Seq)); k != want {
		w.fail("%s: envelope %s/%d stored under %q", n.name, env.Sender, env.Seq, k)
		return
	}
	ref, hash := chatRef{env.Sender, env.Seq}, env.Hash()
	t, committed := w.truth[ref]
	switch {
	case committed && t.hash == hash:
	case committed:
		w.fail("%s: fork: holds %s/%d %.8s, its sender committed %.8s", n.name, env.Sender, env.Seq, hash, t.hash)
	case staged && env.Sender == n.name && n.staged[ref] == hash:
	case w.forged[hash]:
		w.fail("%s: holds the forged envelope %s/%d", n.name, env.Sender, env.Seq)
	default:
		w.fail("%s: holds %s/%d, which its sender never acknowledged (published before its commit?)", n.name, env.Sender, env.Seq)
	}
}

// listAll pages through member n's whole history, newest first, with pages of limit, and checks
// the order is strictly (ts_ms, sender, seq) descending.
func (w *roomWorld) listAll(n *roomNode, limit int) []messages.ChatMessage {
	var all []messages.ChatMessage
	cursor := ""
	for pages := 0; w.err == nil; pages++ {
		page, ok := w.query(n, messages.ListMessages{Before: cursor, Limit: limit}).(messages.ChatPage)
		if !ok || pages > 10_000 {
			w.fail("%s: list before %q refused or endless", n.name, cursor)
			return nil
		}
		all = append(all, page.Messages...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	for i := 1; i < len(all); i++ {
		if !chatOlder(all[i], all[i-1]) {
			w.fail("%s: history out of order at %d: %s after %s", n.name, i, chatPos(all[i]), chatPos(all[i-1]))
			return nil
		}
	}
	return all
}

// chatOlder reports whether a comes before b in a room's order (ts_ms, sender, seq).
func chatOlder(a, b messages.ChatMessage) bool {
	if a.TsMs != b.TsMs {
		return a.TsMs < b.TsMs
	}
	if a.Sender != b.Sender {
		return a.Sender < b.Sender
	}
	return a.Seq < b.Seq
}

func chatPos(m messages.ChatMessage) string {
	return fmt.Sprintf("(%d %s %d)", m.TsMs, m.Sender, m.Seq)
}

// checkUnread checks member n's unread count against its listed history and its read marker:
// the messages of others newer than the marker.
func (w *roomWorld) checkUnread(n *roomNode, list []messages.ChatMessage) {
	st, ok := w.query(n, messages.GetRoomStatus{}).(messages.RoomStatus)
	if !ok || w.err != nil {
		w.fail("%s: status refused", n.name)
		return
	}
	if len(n.pending) == 0 && st.ReadTsMs != w.readTs[n.name] {
		w.fail("%s: read marker %d, acknowledged %d", n.name, st.ReadTsMs, w.readTs[n.name])
	}
	var want int64
	for _, m := range list {
		if m.Sender != n.name && m.TsMs > st.ReadTsMs {
			want++
		}
	}
	if st.Unread != want {
		w.fail("%s: %d unread, but %d messages of others are after the read marker %d", n.name, st.Unread, want, st.ReadTsMs)
	}
}

// pageWhileArriving reads member n's history as a client pages it while messages arrive: the
// pages after the first must hold exactly the messages older than the first page's last one,
// including those that arrived since (a stable cursor: nothing skipped, nothing repeated).
func (w *roomWorld) pageWhileArriving(n *roomNode) {
	first, ok := w.query(n, messages.ListMessages{Limit: 1 + w.rng.IntN(4)}).(messages.ChatPage)
	if !ok || first.Next == "" {
		return
	}
	before, _ := w.query(n, messages.GetRoomStatus{}).(messages.RoomStatus)
	w.deliver(n, 2+w.rng.IntN(6))
	if w.rng.IntN(3) == 0 {
		if src := sim.Pick(w.rng, w.nodes); src != n {
			w.pull(n, src, false)
		}
	}
	if n.down || w.err != nil {
		return
	}
	got := slices.Clone(first.Messages)
	for cursor, pages := first.Next, 0; cursor != ""; pages++ {
		page, ok := w.query(n, messages.ListMessages{Before: cursor, Limit: 1 + w.rng.IntN(4)}).(messages.ChatPage)
		if !ok || pages > 10_000 {
			w.fail("%s: list before %q refused or endless", n.name, cursor)
			return
		}
		got, cursor = append(got, page.Messages...), page.Next
	}
	last := first.Messages[len(first.Messages)-1]
	want := slices.Clone(first.Messages)
	for _, m := range w.listAll(n, messages.MaxChatPage) {
		if chatOlder(m, last) {
			want = append(want, m)
		}
	}
	if a, b := chatIDs(got), chatIDs(want); !slices.Equal(a, b) {
		w.fail("%s: paging across arrivals listed %d messages, want %d:\n got %v\nwant %v", n.name, len(a), len(b), a, b)
		return
	}
	if after, _ := w.query(n, messages.GetRoomStatus{}).(messages.RoomStatus); after.Messages > before.Messages {
		sim.Sometimes(roomPagedArrivals)
	}
}

func chatIDs(ms []messages.ChatMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = fmt.Sprintf("%s/%d:%.8s", m.Sender, m.Seq, m.ID)
	}
	return out
}

// settle stops the faults — partitions heal, every node runs, clocks have moved past any
// message from a clock ahead — delivers the gossip in flight and pulls between every pair of
// nodes until a round adds nothing, then checks convergence.
func (w *roomWorld) settle() error {
	w.settling = true
	w.run.Trace.At(w.now, "world", 0, "settle", "", nil)
	clear(w.cut)
	w.now = w.now.Add(10 * time.Minute)
	for _, n := range w.nodes {
		if n.down {
			w.comeBack(n)
		}
	}
	for _, n := range w.nodes {
		w.flush(n)
		w.deliver(n, len(n.inbox))
	}
	for round := 1; w.err == nil; round++ {
		added := 0
		for _, dst := range w.nodes {
			for _, src := range w.nodes {
				added += w.pull(dst, src, false)
			}
		}
		if added == 0 {
			break
		}
		if round == roomSettleRounds {
			w.fail("pulls between every pair still added %d envelopes in round %d", added, round)
		}
	}
	for _, n := range w.nodes {
		w.flush(n)
	}
	if w.err != nil {
		return w.err
	}
	w.checkSettled()
	return w.err
}

// checkSettled checks convergence: every member lists the same history, which is exactly the
// acknowledged messages with their texts, in one order; counters, heads and unread counts agree
// with it; the relay holds every envelope, can read none, and stores no plaintext.
func (w *roomWorld) checkSettled() {
	heads := map[string]uint64{}
	for ref := range w.truth {
		heads[ref.sender] = max(heads[ref.sender], ref.seq)
	}
	var first []messages.ChatMessage
	for _, n := range w.members() {
		list := w.listAll(n, 1+w.rng.IntN(7))
		if w.err != nil {
			return
		}
		if len(list) != len(w.truth) {
			w.fail("%s lists %d messages; %d were acknowledged", n.name, len(list), len(w.truth))
			return
		}
		for _, m := range list {
			t, ok := w.truth[chatRef{m.Sender, m.Seq}]
			if !ok || t.hash.String() != m.ID || messageText(m) != t.text || m.IsSelf != (m.Sender == n.name) {
				w.fail("%s lists %s/%d %q (self %v), which no sender acknowledged so", n.name, m.Sender, m.Seq, messageText(m), m.IsSelf)
				return
			}
		}
		if first == nil {
			first = list
			w.run.Trace.At(w.now, "world", uint64(len(list)), "settled", "", chatIDs(list))
		} else if a, b := chatIDs(list), chatIDs(first); !slices.Equal(a, b) {
			w.fail("%s and %s list different histories:\n%v\n%v", n.name, w.members()[0].name, a, b)
			return
		}
		w.checkUnread(n, list)
		w.checkStatus(n, heads)
		if len(n.told) != len(w.truth) {
			w.fail("%s: told %d chat_message events; %d messages were acknowledged", n.name, len(n.told), len(w.truth))
		}
	}
	texts := map[string]bool{}
	for i, m := range first {
		texts[messageText(m)] = true
		if i > 0 && m.TsMs == first[i-1].TsMs && m.Sender != first[i-1].Sender {
			sim.Sometimes(roomSameTs)
		}
	}
	for _, lost := range w.lost {
		if texts[lost] {
			w.fail("the send %q, lost in a crash before its commit, is in the history", lost)
		}
	}
	r := w.relay()
	w.checkStatus(r, heads)
	if err, _ := w.query(r, messages.ListMessages{}).(error); !errors.Is(err, messages.ErrLocked) {
		w.fail("relay: listing its messages answered %v, want %v", err, messages.ErrLocked)
	}
	w.checkNoPlaintext(r)
}

// checkStatus checks node n's counters and heads against the acknowledged messages, and its
// stored envelopes against the truth, one by one.
func (w *roomWorld) checkStatus(n *roomNode, heads map[string]uint64) {
	st, ok := w.query(n, messages.GetRoomStatus{}).(messages.RoomStatus)
	switch {
	case !ok:
		w.fail("%s: status refused", n.name)
	case st.Messages != int64(len(w.truth)):
		w.fail("%s: counts %d messages; %d were acknowledged", n.name, st.Messages, len(w.truth))
	case len(st.Gaps) > 0:
		w.fail("%s: still lacks %v", n.name, st.Gaps)
	case fmt.Sprint(st.Heads) != fmt.Sprint(heads):
		w.fail("%s: heads %v, want %v", n.name, st.Heads, heads)
	case st.Relay != n.relay:
		w.fail("%s: relay %v", n.name, st.Relay)
	}
	if got := w.checkStore(n, false); w.err == nil && got != len(w.truth) {
		w.fail("%s: stores %d envelopes; %d were acknowledged", n.name, got, len(w.truth))
	}
}

// checkNoPlaintext scans every record the node ever wrote for the plaintext marker.
func (w *roomWorld) checkNoPlaintext(n *roomNode) {
	snap, _ := n.durable.Snapshot()
	defer snap.Release()
	buckets := []persist.Bucket{persist.Rooms, persist.Chat}
	for b := range n.buckets {
		if !slices.Contains(buckets, b) {
			buckets = append(buckets, b)
		}
	}
	slices.Sort(buckets)
	for _, b := range buckets {
		snap.Scan(b, "", "", func(k string, v []byte) bool {
			if strings.Contains(k, roomMarker) || strings.Contains(string(v), roomMarker) {
				w.fail("%s: record %s/%q holds plaintext", n.name, b, k)
				return false
			}
			return true
		})
	}
}
