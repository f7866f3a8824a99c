package vault

import (
	"bytes"
	"cmp"
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

// prunable lists the history entries of a path (hist) that keep_versions (keep; 0 = all)
// drops once extra more versions are added: the oldest by (created_ms, addr) — a function of
// the versions alone, so every node holding the same ones prunes the same — skipping heads,
// which are never pruned. A version is created after its parents, so ancestors go first.
func prunable(hist []kv, heads [][]byte, extra, keep int, open func([]byte) (*storev1.Version, error)) ([]kv, error) {
	excess := len(hist) + extra - keep
	if keep == 0 || excess <= 0 {
		return nil, nil
	}
	type aged struct {
		kv
		created int64
	}
	items := make([]aged, 0, len(hist))
	for _, h := range hist {
		ver, err := open(h.val)
		if err != nil {
			return nil, err
		}
		items = append(items, aged{h, ver.CreatedMs})
	}
	slices.SortFunc(items, func(a, b aged) int { return cmp.Or(cmp.Compare(a.created, b.created), bytes.Compare(a.val, b.val)) })
	var out []kv
	for _, it := range items {
		if excess <= 0 {
			break
		}
		if !containsAddr(heads, it.val) {
			out = append(out, it.kv)
			excess--
		}
	}
	return out, nil
}

// keepVersions is the keep_versions the step applies: a policy adopted by the step, else the core's.
func (ch *change) keepVersions() int {
	if ch.policy != nil {
		return int(ch.policy.KeepVersions)
	}
	return int(ch.c.policy.KeepVersions)
}

// keepNewest prunes path's versions beyond keep_versions, updating e.
func (ch *change) keepNewest(path string, e *storev1.PathEntry) error {
	if keep := uint64(ch.keepVersions()); keep == 0 || e.Versions <= keep {
		return nil
	}
	drop, err := prunable(ch.tx.scanAll(ch.c.keys.history(path)), e.Heads, 0, ch.keepVersions(), ch.open)
	if err != nil {
		return err
	}
	for _, h := range drop {
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
