package vault

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// Analytics limits.
const (
	topN        = 10
	defaultDays = 30
	dayLayout   = "2006-01-02"
)

// tally adds (sign 1) or removes (sign -1) a live path's shown head from the per-type and
// per-author counters; a counter back at zero is deleted.
func (ch *change) tally(e *storev1.PathEntry, sign int64) {
	k := ch.c.keys
	ch.bump(k.statType(e.ContentType), sign, sign*e.Size, 0)
	ch.bump(k.statAuthor(e.Author), sign, sign*e.Size, 0)
}

// countDay counts a version in the UTC day it was created (on whichever node), so synced
// versions count on the same day everywhere.
func (ch *change) countDay(ver *storev1.Version) {
	key := ch.c.keys.statDay(time.UnixMilli(ver.CreatedMs).UTC().Format(dayLayout))
	if ver.Deleted {
		ch.bump(key, 0, 0, 1)
	} else {
		ch.bump(key, 1, ver.Size, 0)
	}
}

func (ch *change) bump(key string, count, size, deletes int64) {
	t := &storev1.Tally{}
	ch.tx.load(key, t)
	t.Count, t.Bytes, t.Deletes = t.Count+count, t.Bytes+size, t.Deletes+deletes
	if t.Count == 0 && t.Bytes == 0 && t.Deletes == 0 {
		ch.tx.del(key)
		return
	}
	ch.tx.store(key, t)
}

// forgetOldDays deletes the daily tallies older than daysKept.
func (ch *change) forgetOldDays(now time.Time) {
	k := ch.c.keys
	oldest := k.statDay(now.UTC().AddDate(0, 0, -daysKept).Format(dayLayout))
	ch.tx.v.Scan(persist.Catalog, k.days(), "", func(key string, _ []byte) bool {
		if key >= oldest {
			return false
		}
		ch.tx.del(key)
		return true
	})
}

// analytics answers the top types and consumers of the live files and the daily history.
func (c *core) analytics(now time.Time, m messages.GetAnalytics, v persist.View) messages.VaultAnalytics {
	days := m.Days
	if days <= 0 {
		days = defaultDays
	}
	days = min(days, daysKept)
	out := messages.VaultAnalytics{TopTypes: c.top(v, c.keys.types()), TopConsumers: c.top(v, c.keys.authors())}
	today := now.UTC()
	for i := days - 1; i >= 0; i-- {
		day := today.AddDate(0, 0, -i).Format(dayLayout)
		t := &storev1.Tally{}
		if raw, ok := v.Get(persist.Catalog, c.keys.statDay(day)); ok {
			_ = unmarshal(raw, t)
		}
		out.History = append(out.History, messages.DayTally{Day: day, Uploads: t.Count, Bytes: t.Bytes, Deletes: t.Deletes})
	}
	return out
}

// top returns the topN tallies under prefix by bytes, then count, then name.
func (c *core) top(v persist.View, prefix string) []messages.UsageTally {
	all := []messages.UsageTally{}
	v.Scan(persist.Catalog, prefix, "", func(key string, val []byte) bool {
		t := &storev1.Tally{}
		if unmarshal(val, t) == nil {
			all = append(all, messages.UsageTally{Name: strings.TrimPrefix(key, prefix), Count: t.Count, Bytes: t.Bytes})
		}
		return true
	})
	slices.SortFunc(all, func(a, b messages.UsageTally) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name))
	})
	return all[:min(len(all), topN)]
}
