package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	be "encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	bolt "go.etcd.io/bbolt"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/mesh"
)

// The chat benchmarks start real daemons (the built binary) on loopback in one private network
// and follow a room's messages from a POST at one daemon to the others: latency to another
// daemon's event stream, sustained messages per second, and delivery across ten daemons. The
// latency anchor, in the same run, is the least the durability rule costs: a gossipsub
// publish → receive between two p2p/mesh hosts in the test process (the daemon's host: TCP, the
// swarm key, Noise, yamux), one fsync'd bbolt commit on the sender before it publishes and one
// on the receiver after it receives. docs/benchmarks.md, "Chat". Run them once:
//
//	go test -run '^$' -bench 'Chat' -benchtime 1x -timeout 30m ./cmd/meshhold
//
// MESHHOLD_BENCH_CHAT_N (latency samples), MESHHOLD_BENCH_CHAT_MSGS (throughput messages),
// MESHHOLD_BENCH_CHAT_RATE and MESHHOLD_BENCH_CHAT_SECS (ten daemons: the aggregate rate
// offered, and for how long) shrink them; MESHHOLD_BENCH_PERF=<folder> records a CPU profile
// (perf record -g) of the first two daemons during each measured phase.

// bcRoom is one room every daemon of a chat benchmark has joined.
type bcRoom struct {
	id    string
	nodes []*brNode
}

// bcStartRoom starts one daemon per name in one network (the others bootstrapping from the
// first) and waits until each lists all of them online; the first creates a room with all of
// them as members, the others join it from its share URL; then each posts one warm-up message
// and every node must hold all of them (the gossip topic is joined everywhere).
func bcStartRoom(b *testing.B, names ...string) *bcRoom {
	b.Helper()
	key := bmSwarmKey(b)
	first := brStart(b, names[0], key, true, nil)
	nodes := []*brNode{first}
	for _, name := range names[1:] {
		nodes = append(nodes, brStart(b, name, key, true, first.addrs))
	}
	members := make([]string, len(nodes))
	for i, n := range nodes {
		bmWaitOnline(b, n.p, n.tok, len(nodes), 60*time.Second)
		members[i] = n.peer
	}
	var chatKey [32]byte
	_, _ = rand.Read(chatKey[:])
	made := first.must(b, "POST", "/rooms", map[string]any{"name": "bench", "members": members, "chat_key": hex.EncodeToString(chatKey[:])}, 201)
	r := &bcRoom{id: made["room_id"].(string), nodes: nodes}
	url := first.must(b, "GET", "/rooms/"+r.id+"/share-url", nil, 200)["url"].(string)
	for _, n := range nodes[1:] {
		n.must(b, "POST", "/rooms/join", map[string]any{"share_url": url}, 201)
	}
	c := benchClient(1)
	for _, n := range nodes {
		if _, err := bcPost(c, n, r.id, "warm-up from "+n.name); err != nil {
			b.Fatal(err)
		}
	}
	brWait(b, time.Minute, 50*time.Millisecond, "every node holds every warm-up message", func() (bool, string) {
		counts := r.counts()
		return slices.Max(counts) == len(nodes) && slices.Min(counts) == len(nodes), fmt.Sprint(counts)
	})
	return r
}

// counts is the room's message_count at each node (-1 where GET /rooms failed).
func (r *bcRoom) counts() []int {
	out := make([]int, len(r.nodes))
	for i, n := range r.nodes {
		out[i] = bcCount(n, r.id)
	}
	return out
}

// cpu is each node's CPU time so far.
func (r *bcRoom) cpu(b *testing.B) []brCPU {
	b.Helper()
	out := make([]brCPU, len(r.nodes))
	for i, n := range r.nodes {
		out[i] = n.cpu(b)
	}
	return out
}

// bcCount is room's message_count in n's GET /rooms, or -1 when that fails or lacks the room.
func bcCount(n *brNode, room string) int {
	code, list, err := n.get("/rooms")
	if err != nil || code != 200 {
		return -1
	}
	rooms, _ := list["rooms"].([]any)
	for _, v := range rooms {
		if m, _ := v.(map[string]any); m["room_id"] == room {
			c, _ := m["message_count"].(float64)
			return int(c)
		}
	}
	return -1
}

// bcPost POSTs a text message to room at n through c and returns its content hash; anything but
// a 201 is an error.
func bcPost(c *http.Client, n *brNode, room, text string) (string, error) {
	raw, _ := json.Marshal(map[string]string{"text": text})
	req, _ := http.NewRequest("POST", n.p.api+"/rooms/"+room+"/messages", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+n.tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s: post: %w", n.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m struct {
		ContentHash string `json:"content_hash"`
	}
	if resp.StatusCode != 201 || json.Unmarshal(body, &m) != nil || m.ContentHash == "" {
		return "", fmt.Errorf("%s: post: %d %s", n.name, resp.StatusCode, body)
	}
	return m.ContentHash, nil
}

// bcMetrics scrapes n's /metrics: group commits and events published so far.
func bcMetrics(b *testing.B, n *brNode) (commits, events float64) {
	b.Helper()
	req, _ := http.NewRequest("GET", strings.TrimSuffix(n.p.api, "/api/v1")+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+n.tok)
	resp, err := bmClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(raw), "\n") {
		name, val, _ := strings.Cut(l, " ")
		v, _ := strconv.ParseFloat(strings.TrimSpace(val), 64)
		switch name {
		case "meshhold_commits_total":
			commits = v
		case "meshhold_events_published_total":
			events = v
		}
	}
	return commits, events
}

// bcStream follows a node's GET /events/stream?types=chat_message and notes when each message
// (by content hash) arrived.
type bcStream struct {
	mu      sync.Mutex
	at      map[string]time.Time
	changed chan struct{} // closed and replaced at each arrival
	ended   error
}

// bcFollow opens n's event stream and returns once it says ": connected" (subscribed).
func bcFollow(b *testing.B, n *brNode) *bcStream {
	b.Helper()
	req, _ := http.NewRequest("GET", n.p.api+"/events/stream?types=chat_message", nil)
	req.Header.Set("Authorization", "Bearer "+n.tok)
	resp, err := (&http.Client{}).Do(req) // no timeout: the stream stays open
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("%s: event stream: %v %v", n.name, resp, err)
	}
	b.Cleanup(func() { _ = resp.Body.Close() })
	s := &bcStream{at: map[string]time.Time{}, changed: make(chan struct{})}
	connected := make(chan struct{})
	go func() {
		rd := bufio.NewReaderSize(resp.Body, 64<<10)
		var once sync.Once
		for {
			line, err := rd.ReadBytes('\n')
			if err != nil {
				s.mu.Lock()
				s.ended = err
				close(s.changed)
				s.changed = make(chan struct{})
				s.mu.Unlock()
				return
			}
			now := time.Now()
			if bytes.HasPrefix(line, []byte(": connected")) {
				once.Do(func() { close(connected) })
			}
			data, ok := bytes.CutPrefix(line, []byte("data: "))
			if !ok {
				continue
			}
			var ev struct {
				ContentHash string `json:"content_hash"`
			}
			if json.Unmarshal(data, &ev) != nil || ev.ContentHash == "" {
				continue
			}
			s.mu.Lock()
			if _, dup := s.at[ev.ContentHash]; !dup {
				s.at[ev.ContentHash] = now
			}
			close(s.changed)
			s.changed = make(chan struct{})
			s.mu.Unlock()
		}
	}()
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		b.Fatalf("%s: the event stream did not say it was connected within 10 s", n.name)
	}
	return s
}

// wait is when the message hash arrived, waiting up to limit for it; an error when it did not.
func (s *bcStream) wait(hash string, limit time.Duration) (time.Time, error) {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		at, ok := s.at[hash]
		ended, ch := s.ended, s.changed
		s.mu.Unlock()
		switch {
		case ok:
			return at, nil
		case ended != nil:
			return time.Time{}, fmt.Errorf("the event stream ended: %w", ended)
		}
		select {
		case <-ch:
		case <-deadline.C:
			return time.Time{}, fmt.Errorf("no chat_message %s within %s", hash, limit)
		}
	}
}

// The latency anchor.

// bcTopic is the anchor's gossip topic; bcPayload the size of its messages, about a short text
// message's envelope (header, sealed body, Ed25519 signature).
const (
	bcTopic   = "meshhold-bench/chat"
	bcPayload = 320
)

// bcBucket is the bucket the anchor's commits write to.
var bcBucket = []byte("chat")

// bcAnchor is two meshes started as the daemon starts its own (p2p/mesh.Start: TCP, a swarm
// key, Noise, yamux), connected, on one gossipsub topic, each with a bbolt file opened with the
// daemon's options (fsync on). The receiver commits each message it gets, then acknowledges
// it on got.
type bcAnchor struct {
	topic      p2p.Topic // the sender's
	send, recv *bolt.DB
	got        chan bcAck
}

// bcAck is the receiver's word on one message: its index, once committed, or the commit's error.
type bcAck struct {
	i   uint64
	err error
}

func bcStartAnchor(b *testing.B) *bcAnchor {
	b.Helper()
	psk := make([]byte, 32)
	_, _ = rand.Read(psk)
	newMesh := func() *mesh.Mesh {
		key, _, err := crypto.GenerateEd25519Key(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		m, err := mesh.Start(mesh.Config{PrivKey: key, PSK: psk, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"},
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = m.Close() })
		return m
	}
	openDB := func(name string) *bolt.DB {
		db, err := bolt.Open(filepath.Join(b.TempDir(), name), 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bcBucket); return err }); err != nil {
			b.Fatal(err)
		}
		return db
	}
	x, y := newMesh(), newMesh()
	brConnect(b, x.Host(), y.Host())
	tx, err := x.Join(bcTopic)
	if err != nil {
		b.Fatal(err)
	}
	ty, err := y.Join(bcTopic)
	if err != nil {
		b.Fatal(err)
	}
	a := &bcAnchor{topic: tx, send: openDB("sender.db"), recv: openDB("receiver.db"), got: make(chan bcAck, 1024)}
	cancel, err := ty.Subscribe(func(m p2p.Message) {
		a.got <- bcAck{i: be.BigEndian.Uint64(m.Data), err: bcPut(a.recv, m.Data)}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cancel)
	// GossipSub grafts the two into the topic's mesh at a heartbeat: publish until one lands.
	for i := uint64(1 << 40); ; i++ {
		if _, err := a.once(i, 250*time.Millisecond); err == nil {
			break
		}
		if i > 1<<40+80 {
			b.Fatal("the anchor's gossip topic delivered nothing within 20 s")
		}
	}
	return a
}

// bcPut commits one message to db (fsync'd): its first 8 bytes are the key.
func bcPut(db *bolt.DB, msg []byte) error {
	return db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bcBucket).Put(msg[:8], msg) })
}

// once commits message i at the sender, publishes it and waits until the receiver has
// committed it: the time from before the first commit until the receiver's acknowledgement.
func (a *bcAnchor) once(i uint64, limit time.Duration) (time.Duration, error) {
	msg := make([]byte, bcPayload) // gossipsub keeps it for retransmission: never reused
	_, _ = rand.Read(msg[8:])
	be.BigEndian.PutUint64(msg, i)
	begin := time.Now()
	if err := bcPut(a.send, msg); err != nil {
		return 0, err
	}
	if err := a.topic.Publish(context.Background(), msg); err != nil {
		return 0, err
	}
	timeout := time.After(limit)
	for {
		select {
		case ack := <-a.got:
			if ack.err != nil {
				return 0, ack.err
			}
			if ack.i == i {
				return time.Since(begin), nil
			}
		case <-timeout:
			return 0, fmt.Errorf("anchor: message %d not committed by the receiver within %s", i, limit)
		}
	}
}

// bcPct is the nearest-rank q-quantile of ds (sorted in place), in milliseconds.
func bcPct(ds []time.Duration, q float64) float64 {
	slices.Sort(ds)
	if len(ds) == 0 {
		return 0
	}
	i := min(max(int(math.Ceil(q*float64(len(ds))))-1, 0), len(ds)-1)
	return float64(ds[i]) / 1e6
}

// BenchmarkChatLatency: alpha and bravo in one room, bravo's event stream followed
// (?types=chat_message); N sequential POSTs at alpha (MESHHOLD_BENCH_CHAT_N, default 500), each
// timed from just before the POST until bravo's stream carries its chat_message (matched by the
// content hash the POST answered). Interleaved with them, N samples of the anchor (two fsync'd
// bbolt commits around a gossipsub publish → receive); targets p50 ≤ 1.5× and p99 ≤ 2× of the
// anchor's. 20 warm-up samples of each are left out.
func BenchmarkChatLatency(b *testing.B) {
	if testing.Short() {
		b.Skip("starts two daemons: not under -short")
	}
	n := brEnvInt(b, "MESHHOLD_BENCH_CHAT_N", 500)
	r := bcStartRoom(b, "alpha", "bravo")
	alpha, bravo := r.nodes[0], r.nodes[1]
	events := bcFollow(b, bravo)
	anchor := bcStartAnchor(b)
	c := benchClient(1)
	sample := func(text string) (answered, arrived time.Duration) {
		begin := time.Now()
		hash, err := bcPost(c, alpha, r.id, text)
		if err != nil {
			b.Fatal(err)
		}
		answered = time.Since(begin)
		at, err := events.wait(hash, 10*time.Second)
		if err != nil {
			b.Fatalf("bravo: %v\n%s", err, bravo.p.output())
		}
		return answered, at.Sub(begin)
	}
	anchorSample := func(i uint64) time.Duration {
		d, err := anchor.once(i, 10*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	for i := range 20 {
		sample("latency warm-up " + strconv.Itoa(i))
		anchorSample(1<<41 + uint64(i))
	}

	var chat, post, raw []time.Duration
	var took time.Duration
	var cpuA, cpuB brCPU
	var commitsA, commitsB float64
	for iter := 0; b.Loop(); iter++ {
		cpu0 := r.cpu(b)
		ca0, _ := bcMetrics(b, alpha)
		cb0, _ := bcMetrics(b, bravo)
		stopPerf := brPerf(b, "chatlatency", alpha, bravo)
		begin := time.Now()
		for i := range n {
			p, d := sample(fmt.Sprintf("latency %d/%d", iter, i))
			chat, post = append(chat, d), append(post, p)
			raw = append(raw, anchorSample(uint64(iter)<<32|uint64(i)))
		}
		took += time.Since(begin)
		stopPerf()
		cpu1 := r.cpu(b)
		cpuA, cpuB = cpuA.plus(cpu1[0].minus(cpu0[0])), cpuB.plus(cpu1[1].minus(cpu0[1]))
		ca1, _ := bcMetrics(b, alpha)
		cb1, _ := bcMetrics(b, bravo)
		commitsA, commitsB = commitsA+ca1-ca0, commitsB+cb1-cb0
	}
	msgs := float64(len(chat))
	p50, p99 := bcPct(chat, 0.50), bcPct(chat, 0.99)
	a50, a99 := bcPct(raw, 0.50), bcPct(raw, 0.99)
	fmt.Printf("chat latency, %d sequential messages: POST at alpha -> bravo's SSE p50 %.2f ms, p90 %.2f, p99 %.2f, max %.2f (the POST's answer alone p50 %.2f, p99 %.2f); anchor (bbolt fsync + gossipsub + bbolt fsync) p50 %.2f ms, p90 %.2f, p99 %.2f, max %.2f; commits per message alpha %.2f, bravo %.2f; CPU per message alpha %.0f µs, bravo %.0f µs; %.1f s in all\n",
		len(chat), p50, bcPct(chat, 0.90), p99, bcPct(chat, 1), bcPct(post, 0.50), bcPct(post, 0.99),
		a50, bcPct(raw, 0.90), a99, bcPct(raw, 1), commitsA/msgs, commitsB/msgs, 1e6*cpuA.total()/msgs, 1e6*cpuB.total()/msgs, took.Seconds())
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p99, "p99-ms")
	b.ReportMetric(bcPct(post, 0.50), "post-p50-ms")
	b.ReportMetric(a50, "anchor-p50-ms")
	b.ReportMetric(a99, "anchor-p99-ms")
	b.ReportMetric(p50/a50, "x-anchor-p50")
	b.ReportMetric(p99/a99, "x-anchor-p99")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkChatThroughput: alpha and bravo in one room; 16 concurrent posters at alpha send
// MESHHOLD_BENCH_CHAT_MSGS messages (default 2,000) as fast as alpha answers; measured from the
// first POST until bravo's GET /rooms counts every one (polled every 10 ms): sustained
// messages/s of one room, with the rate alpha answered at, the messages per group commit on
// each side (/metrics) and the CPU per message.
func BenchmarkChatThroughput(b *testing.B) {
	if testing.Short() {
		b.Skip("starts two daemons: not under -short")
	}
	count := brEnvInt(b, "MESHHOLD_BENCH_CHAT_MSGS", 2000)
	const posters = 16
	r := bcStartRoom(b, "alpha", "bravo")
	alpha, bravo := r.nodes[0], r.nodes[1]
	c := benchClient(posters)

	var took, accepted time.Duration
	var sent int
	var commitsA, commitsB float64
	var cpuA, cpuB brCPU
	for iter := 0; b.Loop(); iter++ {
		want := bcCount(alpha, r.id) + count
		ca0, _ := bcMetrics(b, alpha)
		cb0, _ := bcMetrics(b, bravo)
		cpu0 := r.cpu(b)
		stopPerf := brPerf(b, "chatthroughput", alpha, bravo)
		m0 := brMachineNow(b)
		begin := time.Now()
		var next atomic.Int64
		var failed atomic.Pointer[error]
		var wg sync.WaitGroup
		for range posters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := int(next.Add(1) - 1); j < count && failed.Load() == nil; j = int(next.Add(1) - 1) {
					if _, err := bcPost(c, alpha, r.id, fmt.Sprintf("throughput %d/%d", iter, j)); err != nil {
						failed.CompareAndSwap(nil, &err)
					}
				}
			}()
		}
		wg.Wait()
		answered := time.Since(begin)
		if err := failed.Load(); err != nil {
			b.Fatal(*err)
		}
		brWaitProgress(b, 10*time.Millisecond, "bravo counts every message", func() (bool, int64, string) {
			got := bcCount(bravo, r.id)
			return got == want, int64(got), fmt.Sprintf("%d of %d\n%s", got, want, bravo.p.output())
		})
		d := time.Since(begin)
		machine := brMachineNow(b).cores(m0)
		stopPerf()
		cpu1 := r.cpu(b)
		dA, dB := cpu1[0].minus(cpu0[0]), cpu1[1].minus(cpu0[1])
		ca1, _ := bcMetrics(b, alpha)
		cb1, _ := bcMetrics(b, bravo)
		fmt.Printf("chat throughput, %d messages from %d posters at alpha: alpha answered them all in %.2f s (%.0f msg/s), bravo counted them all after %.2f s = %.0f msg/s; messages per group commit alpha %.1f (%.0f commits), bravo %.1f (%.0f commits); alpha %s = %.0f µs/msg, bravo %s = %.0f µs/msg; the machine %.2f of %d CPUs\n",
			count, posters, answered.Seconds(), float64(count)/answered.Seconds(), d.Seconds(), float64(count)/d.Seconds(),
			float64(count)/(ca1-ca0), ca1-ca0, float64(count)/(cb1-cb0), cb1-cb0, dA, 1e6*dA.total()/float64(count), dB, 1e6*dB.total()/float64(count), machine, runtime.NumCPU())
		took, accepted, sent = took+d, accepted+answered, sent+count
		commitsA, commitsB = commitsA+ca1-ca0, commitsB+cb1-cb0
		cpuA, cpuB = cpuA.plus(dA), cpuB.plus(dB)
	}
	b.ReportMetric(float64(sent)/took.Seconds(), "msgs/s")
	b.ReportMetric(float64(sent)/accepted.Seconds(), "posted-msgs/s")
	b.ReportMetric(float64(sent)/commitsA, "alpha-msgs/commit")
	b.ReportMetric(float64(sent)/commitsB, "bravo-msgs/commit")
	b.ReportMetric(1e6*cpuA.total()/float64(sent), "alpha-CPU-µs/msg")
	b.ReportMetric(1e6*cpuB.total()/float64(sent), "bravo-CPU-µs/msg")
	b.ReportMetric(0, "ns/op")
}

// bcDeliveryBound is how long after the send window every daemon must hold every message.
const bcDeliveryBound = 60 * time.Second

// BenchmarkChatTenDaemons: ten daemons in one room (nine joined from the share URL). Posters
// spread over all ten (8 per daemon, each daemon's messages handed out round-robin) offer an
// aggregate MESHHOLD_BENCH_CHAT_RATE messages/s (default 1,000) for MESHHOLD_BENCH_CHAT_SECS
// (default 10), open loop: a message whose daemon has 64 waiting already is not offered (and
// counted). The send window ends when the last POST is answered; reported are the rate
// actually acknowledged, the share of (message, daemon) pairs held at that moment, and the time
// until every daemon's GET /rooms counts every acknowledged message (polled every 100 ms);
// more than a minute fails.
func BenchmarkChatTenDaemons(b *testing.B) {
	if testing.Short() {
		b.Skip("starts ten daemons: not under -short")
	}
	rate := brEnvInt(b, "MESHHOLD_BENCH_CHAT_RATE", 1000)
	secs := brEnvInt(b, "MESHHOLD_BENCH_CHAT_SECS", 10)
	const nodes, workers, queue = 10, 8, 64
	names := make([]string, nodes)
	for i := range names {
		names[i] = "n" + strconv.Itoa(i)
	}
	r := bcStartRoom(b, names...)

	var offered, toAll, atEnd []float64
	for iter := 0; b.Loop(); iter++ {
		base := r.counts()
		commits0 := make([]float64, nodes)
		for i, n := range r.nodes {
			commits0[i], _ = bcMetrics(b, n)
		}
		cpu0 := r.cpu(b)
		stopPerf := brPerf(b, "chatten", r.nodes[:2]...)
		m0 := brMachineNow(b)
		var acked, failed, skipped atomic.Int64
		var firstErr atomic.Pointer[error]
		var wg sync.WaitGroup
		jobs := make([]chan int, nodes)
		for i, n := range r.nodes {
			jobs[i] = make(chan int, queue)
			c := benchClient(workers)
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := range jobs[i] {
						if _, err := bcPost(c, n, r.id, fmt.Sprintf("ten daemons %d/%d", iter, k)); err != nil {
							failed.Add(1)
							firstErr.CompareAndSwap(nil, &err)
							continue
						}
						acked.Add(1)
					}
				}()
			}
		}
		total := rate * secs
		begin := time.Now()
		for k := 0; k < total; {
			due := int(time.Since(begin).Seconds() * float64(rate))
			for ; k < min(due, total); k++ {
				select {
				case jobs[k%nodes] <- k:
				default:
					skipped.Add(1)
				}
			}
			time.Sleep(time.Millisecond)
		}
		for _, ch := range jobs {
			close(ch)
		}
		wg.Wait()
		window := time.Since(begin)
		end := r.counts()
		machine := brMachineNow(b).cores(m0)
		stopPerf()
		n := int(acked.Load())
		if n == 0 {
			b.Fatalf("no POST was acknowledged: %v", *firstErr.Load())
		}
		held := 0
		for i := range end {
			held += min(max(end[i]-base[i], 0), n)
		}
		share := float64(held) / float64(nodes*n)
		var counts []int
		brWait(b, bcDeliveryBound, 100*time.Millisecond, "every daemon holds every acknowledged message", func() (bool, string) {
			counts = r.counts()
			for i := range counts {
				if counts[i]-base[i] < n || counts[i] != counts[0] {
					return false, fmt.Sprintf("%d acknowledged; held past the warm-up: %v", n, counts)
				}
			}
			return true, ""
		})
		all := time.Since(begin) - window
		cpu1 := r.cpu(b)
		var daemons, commits float64
		for i, nd := range r.nodes {
			daemons += cpu1[i].minus(cpu0[i]).total()
			c, _ := bcMetrics(b, nd)
			commits += c - commits0[i]
		}
		errNote := ""
		if e := firstErr.Load(); e != nil {
			errNote = fmt.Sprintf(" (first: %v)", *e)
		}
		fmt.Printf("chat, %d daemons: %d msg/s offered for %d s -> %d acknowledged in %.2f s = %.0f msg/s (%d not offered: their daemon had %d waiting; %d POSTs failed%s); at the end of the window %.2f %% of (message, daemon) pairs held (counts past the warm-up %v), 100 %% after %.2f s more; %.1f messages stored per group commit over the ten (%d stored, %.0f commits); the daemons used %.1f s CPU = %.0f µs per message stored, the machine %.2f of %d CPUs during the window\n",
			nodes, rate, secs, n, window.Seconds(), float64(n)/window.Seconds(), skipped.Load(), queue, failed.Load(), errNote,
			100*share, bcMinus(end, base), all.Seconds(), float64(nodes*n)/commits, nodes*n, commits, daemons, 1e6*daemons/float64(nodes*n), machine, runtime.NumCPU())
		offered = append(offered, float64(n)/window.Seconds())
		atEnd = append(atEnd, 100*share)
		toAll = append(toAll, all.Seconds())
	}
	b.ReportMetric(bmMedian(offered), "acked-msgs/s")
	b.ReportMetric(bmMedian(atEnd), "held-at-end-%")
	b.ReportMetric(bmMedian(toAll), "to-100%-s")
	b.ReportMetric(0, "ns/op")
}

// bcMinus is xs[i] − ys[i] for each i.
func bcMinus(xs, ys []int) []int {
	out := make([]int, len(xs))
	for i := range xs {
		out[i] = xs[i] - ys[i]
	}
	return out
}
