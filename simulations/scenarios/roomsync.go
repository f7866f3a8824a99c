package scenarios

import (
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/room"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/memstore"
	"github.com/meshhold/meshhold/simulations/sim"
)

// RoomSync is the tier-1 chat simulation (docs/simulation.md, issue 9): three to five member
// nodes and one relay hold one room, each its own memstore, registry record and room core
// (actors/room) run as its host runs them — steps stage their writes in an overlay that later
// steps see, a group commit makes them durable, and only then are sends acknowledged, their
// envelopes published and peers' catch-up questions answered. Members send at random; gossip
// drops, duplicates, delays and reorders; partitions cut gossip and pulls; nodes crash (the
// staged steps are lost: an unacknowledged send must never appear anywhere, and the sender's
// next message takes its seq without a fork), stay offline and catch up, from the relay first,
// when they return; catch-up pulls run between random pairs, paged and sometimes cut short;
// forged and corrupted envelopes arrive and every node must refuse them. After every step each
// store holds only envelopes their senders committed, chained as committed. When the faults
// stop, pulls between every pair must go quiet within roomSettleRounds rounds, and then every
// member lists the same history in the same (ts_ms, sender, seq) order, holding every
// acknowledged message and nothing else, with unread counts matching its read marker, and the
// relay holds every envelope and no plaintext.
var RoomSync = sim.Scenario{
	Name: "room-sync",
	Test: "TestRoomSync",
	Sometimes: []string{
		roomGossipDropped, roomGossipDuplicated, roomGossipReordered, roomDuplicateDropped, roomGapReported,
		roomGapRepaired, roomPullPaged, roomPullCut, roomPullRefused, roomCrashLostSend, roomSeqReused,
		roomCrashLostBatch, roomCrashRefusedPull, roomOfflineCaughtUp, roomRelayStored, roomTamperBody,
		roomTamperHeader, roomForgedHeld, roomForgedNext, roomJunkRefused, roomCorruptWire, roomReadMoved,
		roomPagedArrivals, roomSameTs, roomGroupCommit, roomClockAhead,
	},
	Play: playRoomSync,
}

// The "sometimes" kinds of room-sync.
const (
	roomGossipDropped    = "gossip dropped"
	roomGossipDuplicated = "gossip duplicated"
	roomGossipReordered  = "gossip delivered out of order"
	roomDuplicateDropped = "duplicate envelope dropped"
	roomGapReported      = "gap reported on receipt"
	roomGapRepaired      = "gap repaired by a pull from the gossip peer"
	roomPullPaged        = "pull paged (more)"
	roomPullCut          = "pull cut short"
	roomPullRefused      = "pull refused by a partition or a down node"
	roomCrashLostSend    = "crash lost an unacknowledged send"
	roomSeqReused        = "seq of a lost send reused without a fork"
	roomCrashLostBatch   = "crash lost a received batch"
	roomCrashRefusedPull = "crash before a served pull's commit"
	roomOfflineCaughtUp  = "returning member caught up from the relay"
	roomRelayStored      = "relay stored envelopes it cannot read"
	roomTamperBody       = "body byte flip refused"
	roomTamperHeader     = "header change refused"
	roomForgedHeld       = "forgery by another key at a held seq refused"
	roomForgedNext       = "forgery by another key at the next seq refused"
	roomJunkRefused      = "validly signed junk body refused by a member"
	roomCorruptWire      = "envelope corrupted in transit refused"
	roomReadMoved        = "read marker moved"
	roomPagedArrivals    = "history paged while messages arrived"
	roomSameTs           = "two senders at the same ts_ms"
	roomGroupCommit      = "several sends in one group commit"
	roomClockAhead       = "envelope from a clock too far ahead refused (taken later)"
)

// roomForger is the node id forged envelopes come from: a key no member holds.
const roomForger = "mallory"

// roomMarker is in every message's plaintext (text, location label or file name), so that
// plaintext is recognizable wherever it lands.
const roomMarker = "<chat!>"

// roomSettleRounds bounds the all-pairs pull rounds of the settle phase: one round brings every
// message from its sender to everyone, the next must add nothing.
const roomSettleRounds = 3

// roomMemberNames are the members' node ids; "ann" is a prefix of "anna", which the room's order
// (ts_ms, sender, seq) must sort the same on every node.
var roomMemberNames = []string{"ann", "anna", "bob", "cy", "dee"}

// roomOpts are what a seed chooses.
type roomOpts struct {
	Members   int
	Ops       int
	DropP     float64 // a gossip copy is lost
	DupP      float64 // a gossip copy arrives twice
	FlushP    float64 // the committer takes a node's staged steps after a step
	PageLimit int     // envelopes per ChatSince page
	AheadNode int     // a member whose clock runs 6 minutes ahead (-1: none)
}

// roomNode is one node: its stores, its room core and what its host holds back until commit.
type roomNode struct {
	name    string
	relay   bool
	priv    ed25519.PrivateKey
	skew    time.Duration
	durable *memstore.Store // what survives a crash
	work    *memstore.Store // durable plus the staged writes: the host's overlay
	pending []persist.Write
	events  []host.Event                  // staged with pending: durable with it, or lost
	told    map[string]bool               // content hashes of the durable chat_message events
	effects []roomEffect                  // released by the commit, in order
	staged  map[chatRef]messages.ChatHash // own sends staged, not yet committed
	buckets map[persist.Bucket]bool       // every bucket the node ever wrote
	core    host.Core
	down    bool
	lostSeq uint64 // the seq of a send lost in a crash, until the node commits that seq again
	inbox   []roomMail
}

// roomEffect is what a staged step's commit makes true (durable, run for the whole group
// before any ack), then releases (ack), or what its loss in a crash undoes (lost).
type roomEffect struct {
	durable, ack, lost func()
}

// roomMail is an envelope in flight to a node over gossip.
type roomMail struct {
	at   time.Time
	from string
	env  messages.ChatEnvelope
}

// chatRef names a message: its sender and the sender's seq.
type chatRef struct {
	sender string
	seq    uint64
}

// chatTruth is a message as its sender committed it.
type chatTruth struct {
	hash messages.ChatHash
	ts   int64
	text string // the marker-bearing plaintext
	env  messages.ChatEnvelope
}

type roomWorld struct {
	run      *sim.Run
	rng      *rand.Rand
	nonces   *rand.Rand
	forge    *rand.Rand
	now      time.Time
	opt      roomOpts
	key      messages.ChatKey
	id       string
	nodes    []*roomNode // members first, the relay last
	pubs     map[string]ed25519.PublicKey
	verified map[string]bool    // verify's answers by sender, signature and message
	evil     ed25519.PrivateKey // "mallory": knows the key of no member, signs forgeries
	cut      map[[2]int]bool
	truth    map[chatRef]chatTruth
	order    []chatRef          // truth in commit order, for drawing victims
	last     map[string]chatRef // each sender's last committed message
	forged   map[messages.ChatHash]bool
	lost     []string         // texts of sends lost in a crash before their commit
	readTs   map[string]int64 // acknowledged read markers
	sent     int
	settling bool // the faults have stopped
	err      error
}

func playRoomSync(r *sim.Run) error {
	w := &roomWorld{run: r, rng: r.Stream("world"), nonces: r.Stream("nonces"), forge: r.Stream("forgeries"), now: sim.Epoch,
		cut: map[[2]int]bool{}, truth: map[chatRef]chatTruth{}, last: map[string]chatRef{},
		forged: map[messages.ChatHash]bool{}, readTs: map[string]int64{}, pubs: map[string]ed25519.PublicKey{}, verified: map[string]bool{}}
	w.opt = roomOptions(r.Stream("options"))
	r.Options = w.opt
	keys := r.Stream("keys")
	copy(w.key[:], seedBytes(keys))
	w.evil = ed25519.NewKeyFromSeed(seedBytes(keys))
	w.pubs[roomForger] = w.evil.Public().(ed25519.PublicKey)
	members := roomMemberNames[:w.opt.Members]
	w.id = messages.RoomID(w.key, members)
	for i, name := range append(append([]string{}, members...), "relay") {
		n := &roomNode{name: name, relay: name == "relay", priv: ed25519.NewKeyFromSeed(seedBytes(keys)),
			skew: time.Duration(w.rng.IntN(41)-20) * time.Second, durable: memstore.New(), buckets: map[persist.Bucket]bool{}, told: map[string]bool{}}
		if i == w.opt.AheadNode {
			n.skew = 6 * time.Minute // beyond messages.MaxChatClockAhead: peers refuse its messages for now
		}
		w.pubs[name] = n.priv.Public().(ed25519.PublicKey)
		w.nodes = append(w.nodes, n)
		w.boot(n, members)
	}
	for i := 0; i < w.opt.Ops && w.err == nil; i++ {
		w.now = w.now.Add(time.Duration(w.rng.IntN(4)) * time.Second)
		w.act()
	}
	if w.err != nil {
		return w.err
	}
	return w.settle()
}

func roomOptions(r *rand.Rand) roomOpts {
	o := roomOpts{
		Members: 3 + r.IntN(3), Ops: 120 + r.IntN(120), DropP: 0.05 + 0.25*r.Float64(), DupP: 0.1 * r.Float64(),
		FlushP: 0.4 + 0.5*r.Float64(), PageLimit: 1 + r.IntN(6), AheadNode: -1,
	}
	if r.IntN(6) == 0 {
		o.AheadNode = r.IntN(o.Members)
	}
	return o
}

// seedBytes draws an Ed25519 seed.
func seedBytes(r *rand.Rand) []byte {
	b := make([]byte, ed25519.SeedSize)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// boot writes the node's registry record (a member joins with the sealed chat key, the relay
// relays without it) and loads its room core.
func (w *roomWorld) boot(n *roomNode, members []string) {
	reg, _ := room.LoadRegistry(messages.RoomsKind+"/"+messages.RegistryID, nil)
	var cmd any = messages.RelayRoom{ID: w.id}
	if !n.relay {
		cmd = messages.CreateRoom{ID: w.id, Name: "sim room", Members: members, SealedKey: seal(messages.ChatKeyPurpose(w.id), w.key[:])}
	}
	snap, _ := n.durable.Snapshot()
	out := reg.Step(w.clock(n), cmd, snap)
	snap.Release()
	if _, ok := out.Reply.(messages.RoomMeta); !ok {
		w.fail("%s: registry %T: %v", n.name, cmd, out.Reply)
		return
	}
	w.run.Trace.At(w.now, n.name, 0, fmt.Sprintf("%T", cmd), sim.Kind(out.Reply), out.Reply)
	if err := n.durable.Commit(out.Writes); err != nil {
		w.fail("%s: registry commit: %v", n.name, err)
		return
	}
	w.reload(n)
}

// reload loads the node's room core from its durable records, as after a restart.
func (w *roomWorld) reload(n *roomNode) {
	n.work, n.pending, n.effects, n.staged, n.inbox = n.durable.CrashCopy(), nil, nil, map[chatRef]messages.ChatHash{}, nil
	n.events = nil
	deps := room.Deps{Unseal: unseal, NodeID: n.name, Sign: func(msg []byte) []byte { return ed25519.Sign(n.priv, msg) }, Verify: w.verify}
	snap, _ := n.durable.Snapshot()
	core, err := room.Load(deps)(messages.RoomKind+"/"+w.id, snap)
	snap.Release()
	if err != nil {
		w.fail("%s: load: %v", n.name, err)
		return
	}
	n.core = core
	w.checkStore(n, false) // what survived the crash
	w.step(n, host.Recovered{})
}

// verify is the nodes' Deps.Verify: a sender id maps to its node's public key. Verification
// is a pure function, so its answers are kept: each envelope is checked at every node, and
// under -race Ed25519 is most of a run's time.
func (w *roomWorld) verify(sender string, msg, sig []byte) bool {
	key := sender + "\x00" + string(sig) + string(msg)
	if ok, seen := w.verified[key]; seen {
		return ok
	}
	pub, ok := w.pubs[sender]
	ok = ok && len(sig) == ed25519.SignatureSize && ed25519.Verify(pub, msg, sig)
	w.verified[key] = ok
	return ok
}

// clock is node n's clock: virtual time plus its skew.
func (w *roomWorld) clock(n *roomNode) time.Time { return w.now.Add(n.skew) }

func (w *roomWorld) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("at %s: "+format, append([]any{w.now.Sub(sim.Epoch)}, args...)...)
	}
}

func (w *roomWorld) members() []*roomNode { return w.nodes[:len(w.nodes)-1] }
func (w *roomWorld) relay() *roomNode     { return w.nodes[len(w.nodes)-1] }

// up lists the nodes that are running.
func (w *roomWorld) up(ns []*roomNode) []*roomNode {
	var out []*roomNode
	for _, n := range ns {
		if !n.down {
			out = append(out, n)
		}
	}
	return out
}

func (w *roomWorld) index(n *roomNode) int {
	for i, x := range w.nodes {
		if x == n {
			return i
		}
	}
	return -1
}

// cutOff reports whether a partition separates a and b.
func (w *roomWorld) cutOff(a, b *roomNode) bool {
	i, j := w.index(a), w.index(b)
	return w.cut[[2]int{min(i, j), max(i, j)}]
}

// act does one random thing.
func (w *roomWorld) act() {
	ms := w.up(w.members())
	switch op := w.rng.IntN(100); {
	case op < 30 && len(ms) > 0:
		w.send(sim.Pick(w.rng, ms))
	case op < 55:
		w.deliver(sim.Pick(w.rng, w.nodes), 1+w.rng.IntN(4))
	case op < 68:
		i, j := w.rng.IntN(len(w.nodes)), w.rng.IntN(len(w.nodes))
		if i != j {
			w.pull(w.nodes[i], w.nodes[j], w.rng.IntN(4) == 0)
		}
	case op < 72:
		i, j := w.rng.IntN(len(w.nodes)), w.rng.IntN(len(w.nodes))
		if i != j {
			k := [2]int{min(i, j), max(i, j)}
			w.cut[k] = !w.cut[k]
			w.run.Trace.At(w.now, "net", 0, "partition", fmt.Sprint(w.cut[k]), k)
		}
	case op < 76:
		w.crash(sim.Pick(w.rng, w.nodes), w.rng.IntN(2) == 0)
	case op < 79:
		var down []*roomNode
		for _, n := range w.nodes {
			if n.down {
				down = append(down, n)
			}
		}
		if len(down) > 0 {
			w.comeBack(sim.Pick(w.rng, down))
		}
	case op < 84:
		w.tamper()
	case op < 88 && len(ms) > 0:
		w.markRead(sim.Pick(w.rng, ms))
	case op < 91 && len(ms) > 0:
		w.pageWhileArriving(sim.Pick(w.rng, ms))
	case op < 93:
		w.now = w.now.Add(time.Duration(30+w.rng.IntN(90)) * time.Second)
	default:
		if n := sim.Pick(w.rng, w.nodes); !n.down {
			w.flush(n)
		}
	}
}
