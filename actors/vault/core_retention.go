package vault

import (
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// Timers and the pace of the retention sweep.
const (
	timerRetention = "retention"
	timerPurge     = "purge"
	sweepEvery     = 24 * time.Hour
	sweepBatch     = 128 // paths per sweep step
	daysKept       = 366 // daily analytics tallies
)

// sweepState is where the retention sweep stands; a restart starts it over, which is harmless.
type sweepState struct {
	cursor string // the last path a sweep step visited; "" = from the start
	due    bool   // a sweep found the vault locked and waits for the key
}

// retentionTimer is the next daily sweep: a day after the last one ended, or now if overdue.
func (c *core) retentionTimer(now time.Time) host.Timer {
	at := time.UnixMilli(c.usage.GetSweptMs()).Add(sweepEvery)
	if at.Before(now) {
		at = now
	}
	return host.Timer{Key: timerRetention, At: at}
}

// prunable lists the oldest history entries of path beyond keep_versions once extra more
// versions are added, skipping heads (which are never pruned).
func (c *core) prunable(tx *txn, path string, heads [][]byte, extra int) []kv {
	keep := int(c.policy.KeepVersions)
	if keep == 0 {
		return nil
	}
	hist := tx.scanAll(c.keys.history(path))
	excess := len(hist) + extra - keep
	var out []kv
	for _, h := range hist {
		if excess <= 0 {
			break
		}
		if !containsAddr(heads, h.val) {
			out = append(out, h)
			excess--
		}
	}
	return out
}

// keepNewest prunes path's versions beyond keep_versions, updating e.
func (ch *change) keepNewest(path string, e *storev1.PathEntry) error {
	if keep := uint64(ch.c.policy.KeepVersions); keep == 0 || e.Versions <= keep {
		return nil
	}
	for _, h := range ch.c.prunable(ch.tx, path, e.Heads, 0) {
		size, err := ch.dropVersion(h)
		if err != nil {
			return err
		}
		e.Versions--
		ch.pruned(path, size)
	}
	return nil
}

// forgetPath drops every version of a deleted path and its entry.
func (ch *change) forgetPath(path string, e *storev1.PathEntry) error {
	for _, h := range ch.tx.scanAll(ch.c.keys.history(path)) {
		size, err := ch.dropVersion(h)
		if err != nil {
			return err
		}
		ch.pruned(path, size)
	}
	ch.setEntry(path, e, nil)
	return nil
}

// retain applies the policy to one path: a path deleted longer than keep_deleted_for loses
// its history, any other keeps its newest keep_versions versions.
func (ch *change) retain(path string, e *storev1.PathEntry) error {
	if keep := ch.c.policy.KeepDeletedForMs; e.Deleted && len(e.Heads) == 1 && keep > 0 && e.UpdatedMs+keep <= ch.ms {
		return ch.forgetPath(path, e)
	}
	next := proto.Clone(e).(*storev1.PathEntry)
	if err := ch.keepNewest(path, next); err != nil {
		return err
	}
	if next.Versions != e.Versions {
		ch.setEntry(path, e, next)
	}
	return nil
}

// sweepStep applies retention to the next batch of paths; the full sweep runs daily and after
// a tighter policy, only while the key is held.
func (c *core) sweepStep(now time.Time, v persist.View) host.Output {
	if !c.live() {
		return host.Output{}
	}
	if c.rc == nil {
		c.sweep.due = true
		return host.Output{}
	}
	c.sweep.due = false
	ch := c.begin(v, now.UnixMilli())
	after := ""
	if c.sweep.cursor != "" {
		after = c.keys.path(c.sweep.cursor)
	}
	var batch []kv
	v.Scan(persist.Catalog, c.keys.paths(), after, func(k string, val []byte) bool {
		batch = append(batch, kv{k, slices.Clone(val)})
		return len(batch) <= sweepBatch
	})
	more := len(batch) > sweepBatch
	if more {
		batch = batch[:sweepBatch]
	}
	for _, item := range batch {
		path, e := c.keys.pathOf(item.key), &storev1.PathEntry{}
		c.sweep.cursor = path
		if unmarshal(item.val, e) != nil {
			continue
		}
		if err := ch.retain(path, e); err != nil { // an unreadable version: skip past it, retry the rest
			return host.Output{Timers: []host.Timer{{Key: timerRetention, At: now}}}
		}
	}
	if more {
		out := ch.done(nil)
		out.Timers = []host.Timer{{Key: timerRetention, At: now}}
		return out
	}
	c.sweep.cursor = ""
	ch.usage.SweptMs = ch.ms
	ch.forgetOldDays(now)
	out := ch.done(nil)
	out.Timers = []host.Timer{{Key: timerRetention, At: now.Add(sweepEvery)}}
	return out
}
