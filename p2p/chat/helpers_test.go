package chat

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/memnet"
)

// mapRoom is a Room that verifies nothing and stores envelopes by hash (the real checks are the
// room actor's, tested in actors/room): enough to see what the protocol delivers, and in what order.
type mapRoom struct {
	mu       sync.Mutex
	rooms    map[string]*roomData
	added    []messages.ChatEnvelope // every envelope Receive added, in order
	calls    int                     // Receive calls
	receipts []messages.ChatReceipt  // every receipt Receipt was given, in order
}

// roomData is one room's envelopes by hash and by (sender, seq), with each sender's head
// (highest contiguous seq) and highest seq.
type roomData struct {
	hashes map[messages.ChatHash]bool
	seqs   map[string]map[uint64]messages.ChatEnvelope
	head   map[string]uint64
	top    map[string]uint64
}

func newMapRoom(rooms ...string) *mapRoom {
	m := &mapRoom{rooms: map[string]*roomData{}}
	for _, id := range rooms {
		m.rooms[id] = &roomData{hashes: map[messages.ChatHash]bool{}, seqs: map[string]map[uint64]messages.ChatEnvelope{},
			head: map[string]uint64{}, top: map[string]uint64{}}
	}
	return m
}

// add stores e unless held; false for a duplicate.
func (d *roomData) add(e messages.ChatEnvelope) bool {
	h := e.Hash()
	if d.hashes[h] {
		return false
	}
	d.hashes[h] = true
	if d.seqs[e.Sender] == nil {
		d.seqs[e.Sender] = map[uint64]messages.ChatEnvelope{}
	}
	d.seqs[e.Sender][e.Seq] = e
	d.top[e.Sender] = max(d.top[e.Sender], e.Seq)
	for {
		if _, ok := d.seqs[e.Sender][d.head[e.Sender]+1]; !ok {
			break
		}
		d.head[e.Sender]++
	}
	return true
}

// gaps lists, per sender, the first run of seqs missing below its highest.
func (d *roomData) gaps() []messages.ChatGap {
	var gaps []messages.ChatGap
	for _, sender := range slices.Sorted(maps.Keys(d.seqs)) {
		h := d.head[sender]
		if d.top[sender] == h {
			continue
		}
		to := h + 1
		for _, ok := d.seqs[sender][to+1]; !ok; _, ok = d.seqs[sender][to+1] {
			to++
		}
		gaps = append(gaps, messages.ChatGap{Sender: sender, From: h + 1, To: to})
	}
	return gaps
}

// put stores envelopes as the sender's own room actor does on SendMessage.
func (m *mapRoom) put(envs ...messages.ChatEnvelope) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range envs {
		m.rooms[e.RoomID].add(e)
	}
}

func (m *mapRoom) Receive(_ context.Context, room string, _ p2p.PeerID, envs []messages.ChatEnvelope) (messages.ChatReceived, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.rooms[room]
	if d == nil {
		return messages.ChatReceived{}, ErrNoRoom
	}
	m.calls++
	var res messages.ChatReceived
	for _, e := range envs {
		if !d.add(e) {
			res.Duplicate++
			continue
		}
		m.added = append(m.added, e)
		res.Added++
	}
	res.Gaps = d.gaps()
	return res, nil
}

func (m *mapRoom) Since(_ context.Context, room string, heads map[string]uint64, limit int) (messages.ChatEnvelopes, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.rooms[room]
	if d == nil {
		return messages.ChatEnvelopes{}, ErrNoRoom
	}
	var out messages.ChatEnvelopes
	for _, sender := range slices.Sorted(maps.Keys(d.seqs)) {
		for seq := heads[sender] + 1; seq <= d.top[sender]; seq++ {
			e, ok := d.seqs[sender][seq]
			if !ok {
				continue
			}
			if len(out.Envelopes) == limit {
				out.More = true
				return out, nil
			}
			out.Envelopes = append(out.Envelopes, e)
		}
	}
	return out, nil
}

func (m *mapRoom) Status(_ context.Context, room string) (messages.RoomStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.rooms[room]
	if d == nil {
		return messages.RoomStatus{}, ErrNoRoom
	}
	return messages.RoomStatus{RoomID: room, Messages: int64(len(d.hashes)), Heads: maps.Clone(d.head), Gaps: d.gaps()}, nil
}

func (m *mapRoom) Rooms(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.rooms)), nil
}

func (m *mapRoom) Receipt(_ context.Context, room string, _ p2p.PeerID, rc messages.ChatReceipt) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rooms[room] == nil {
		return ErrNoRoom
	}
	m.receipts = append(m.receipts, rc)
	return nil
}

// receiptsOf lists the receipts the room was given.
func (m *mapRoom) receiptsOf() []messages.ChatReceipt {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.receipts)
}

// count is how many envelopes of room are held.
func (m *mapRoom) count(room string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rooms[room].hashes)
}

// addedOf lists the envelopes Receive added, in the order it added them.
func (m *mapRoom) addedOf() []messages.ChatEnvelope {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.added)
}

// author makes a sender's chain of envelopes in room, as its room actor would (signatures are
// placeholders: mapRoom checks none).
type author struct {
	room, sender string
	seq          uint64
	prev         messages.ChatHash
}

func (a *author) next(text string) messages.ChatEnvelope {
	a.seq++
	e := messages.ChatEnvelope{
		RoomID: a.room, Sender: a.sender, Seq: a.seq, Prev: a.prev,
		TsMs: time.Now().UnixMilli(), Body: []byte(text), Sig: []byte("sig"),
	}
	h := sha256.Sum256([]byte(fmt.Sprint(a.sender, a.seq)))
	e.Nonce = [24]byte(h[:24])
	a.prev = e.Hash()
	return e
}

// peerNode is one node of a test mesh: its transport, its room store and its service.
type peerNode struct {
	id   p2p.PeerID
	t    p2p.Transport
	room *mapRoom
	svc  *Service
}

// testConfig is fast: gaps wait 20 ms, a round is every interval.
func testConfig(t p2p.Transport, r Room, interval time.Duration) Config {
	return Config{
		Transport: t, Room: r, Interval: interval, GapDelay: 20 * time.Millisecond,
		Timeout: 5 * time.Second, Log: slog.New(slog.DiscardHandler),
	}
}

// mesh starts a memnet network (pumped in the background until the test ends) and one node
// per id, each holding rooms[id], all linked to each other.
func mesh(t *testing.T, faults memnet.Faults, interval time.Duration, rooms map[p2p.PeerID][]string, opts ...func(*Config)) (*memnet.Network, map[p2p.PeerID]*peerNode) {
	t.Helper()
	n := memnet.New(1, memnet.Config{Faults: faults})
	ids := slices.Sorted(maps.Keys(rooms))
	nodes := map[p2p.PeerID]*peerNode{}
	for _, id := range ids {
		nodes[id] = &peerNode{id: id, t: n.Node(id), room: newMapRoom(rooms[id]...)}
	}
	for i, a := range ids {
		for _, b := range ids[i+1:] {
			if err := n.Connect(a, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	for _, id := range ids {
		cfg := testConfig(nodes[id].t, nodes[id].room, interval)
		for _, o := range opts {
			o(&cfg)
		}
		svc, err := Start(cfg)
		if err != nil {
			t.Fatal(err)
		}
		nodes[id].svc = svc
	}
	t.Cleanup(func() {
		for _, id := range ids {
			_ = nodes[id].svc.Close()
		}
		cancel()
		<-done
	})
	return n, nodes
}

// eventually polls cond every 10 ms of (virtual) time for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("after %v: %s", d, what)
		}
	}
}
