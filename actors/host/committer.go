package host

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
)

// CommitterDeps are the committer's ports.
type CommitterDeps struct {
	Store  persist.Store
	Blocks persist.BlockStore // optional: synced once per group, before the transaction
	Bus    bus.Bus            // optional: committed events are published here, in log_seq order
	NodeID string
	// EventLogMax bounds the event log; older events are pruned inside later commits.
	EventLogMax uint64
	Logger      *slog.Logger
	// Stats, when set, is told about every commit (benchmarks and metrics).
	Stats func(CommitStats)
	// Hooks derive records from each group's events inside the same transaction.
	Hooks []CommitHook
}

// CommitHook derives records from the events of a commit group, written in the group's own
// transaction (the audit ring is one). Prepare must leave the hook's state as it was; Done
// tells it whether the transaction committed, so it keeps or drops what Prepare planned.
type CommitHook interface {
	Prepare(events []*eventv1.Event) []persist.Write
	Done(committed bool)
}

// CommitStats describes one group commit.
type CommitStats struct {
	Batches, Writes, Events int
	Took                    time.Duration
}

// logSeqKey holds the last assigned log_seq in persist.Meta: stored, never counted, so it only
// rises even after the event log is pruned.
const logSeqKey = "log_seq"

// EventKey is the event log key of a log_seq: big-endian, so the log scans in order.
func EventKey(logSeq uint64) string { return string(binary.BigEndian.AppendUint64(nil, logSeq)) }

type commitNow struct{}

// committer is the node's one writer and the only actor whose turn blocks on I/O. Batches that
// arrive while it commits queue in its mailbox; its next turn commits them all in one
// transaction: group commit without timers.
type committer struct {
	deps    CommitterDeps
	queue   []Batch
	flushes []*actor.PID
	queued  bool
	logSeq  uint64 // last durable log_seq
	oldest  uint64 // oldest log_seq still in the event log (0: empty)
}

// CommitterProps hosts the committer.
func CommitterProps(deps CommitterDeps, opts ...actor.PropsOption) *actor.Props {
	if deps.EventLogMax == 0 {
		deps.EventLogMax = DefaultEventLogMax
	}
	return actor.PropsFromProducer(func() actor.Actor { return &committer{deps: deps} }, opts...)
}

// DefaultEventLogMax is how many events the node keeps for SSE resume and late consumers.
const DefaultEventLogMax = 100_000

func (c *committer) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		c.load()
	case Batch:
		c.queue = append(c.queue, m)
		c.schedule(ctx)
	case Flush:
		c.flushes = append(c.flushes, ctx.Sender())
		c.schedule(ctx)
	case commitNow:
		c.queued = false
		c.commit(ctx)
	}
}

func (c *committer) schedule(ctx actor.Context) {
	if !c.queued {
		c.queued = true
		ctx.Send(ctx.Self(), commitNow{}) // runs after every batch already in the mailbox
	}
}

func (c *committer) load() {
	err := persist.ReadWith(c.deps.Store, func(v persist.View) error {
		if b, ok := v.Get(persist.Meta, logSeqKey); ok {
			c.logSeq = decodeSeq(b)
		}
		v.Scan(persist.Events, "", "", func(k string, _ []byte) bool {
			c.oldest = decodeSeq([]byte(k))
			return false
		})
		return nil
	})
	if err != nil {
		panic(errStore{fmt.Errorf("committer: load: %w", err)})
	}
}

func (c *committer) commit(ctx actor.Context) {
	if len(c.queue) > 0 {
		c.commitQueue(ctx)
	}
	for _, pid := range c.flushes {
		ctx.Send(pid, Flushed{LogSeq: c.logSeq})
	}
	c.flushes = nil
}

func (c *committer) commitQueue(ctx actor.Context) {
	start := time.Now()
	queue := c.queue
	c.queue = nil
	seq := c.logSeq
	var all []persist.Write
	var events []*eventv1.Event
	for _, b := range queue {
		all = append(all, b.Writes...)
		for _, ev := range b.Events {
			seq++
			ev.LogSeq, ev.NodeId = seq, c.deps.NodeID
			rec, err := proto.Marshal(ev)
			if err != nil {
				panic(fmt.Errorf("committer: marshal event: %w", err))
			}
			all = append(all, persist.Write{Bucket: persist.Events, Key: EventKey(seq), Value: rec})
			events = append(events, ev)
		}
	}
	oldest := c.oldest
	if len(events) > 0 {
		all = append(all, persist.Write{Bucket: persist.Meta, Key: logSeqKey, Value: encodeSeq(seq)})
		if oldest == 0 {
			oldest = c.logSeq + 1
		}
		all, oldest = c.prune(all, oldest, seq, len(events))
		for _, h := range c.deps.Hooks {
			all = append(all, h.Prepare(events)...)
		}
	}
	err := c.write(all)
	if len(events) > 0 {
		for _, h := range c.deps.Hooks {
			h.Done(err == nil)
		}
	}
	if err != nil {
		c.deps.Logger.Error("commit failed; its requests get a storage error", "batches", len(queue), "err", err)
		for _, b := range queue {
			ctx.Send(b.ReplyTo, CommitFailed{ID: b.ID, Err: err})
		}
		return
	}
	c.logSeq, c.oldest = seq, oldest
	if c.deps.Bus != nil {
		for _, ev := range events {
			// Already durable: a lost publish is recovered by readers of the event log.
			if err := c.deps.Bus.Publish(bus.EventSubject(ev.Type, ev.Entity), bus.Envelope(ev)); err != nil {
				c.deps.Logger.Warn("publish failed", "entity", ev.Entity, "log_seq", ev.LogSeq, "err", err)
			}
		}
	}
	for _, b := range queue {
		ctx.Send(b.ReplyTo, Committed{ID: b.ID})
	}
	if c.deps.Stats != nil {
		c.deps.Stats(CommitStats{Batches: len(queue), Writes: len(all), Events: len(events), Took: time.Since(start)})
	}
}

// write makes the group's block files durable, then commits its records in one transaction.
func (c *committer) write(all []persist.Write) error {
	if c.deps.Blocks != nil {
		if err := c.deps.Blocks.Sync(); err != nil {
			return fmt.Errorf("sync blocks: %w", err)
		}
	}
	return c.deps.Store.Commit(all)
}

// prune deletes the oldest events beyond EventLogMax, at most a bounded number per commit so
// one commit never carries a huge delete.
func (c *committer) prune(all []persist.Write, oldest, newest uint64, added int) ([]persist.Write, uint64) {
	budget := uint64(added) + 1024
	for ; newest-oldest+1 > c.deps.EventLogMax && budget > 0; budget-- {
		all = append(all, persist.Write{Bucket: persist.Events, Key: EventKey(oldest), Delete: true})
		oldest++
	}
	return all, oldest
}
