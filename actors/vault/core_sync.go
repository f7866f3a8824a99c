package vault

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// syncStep answers the catalog-sync commands (docs/vault-sync.md); false for any other message.
// The summary and listings need no key; reading block lists and applying need it on a trusted
// vault, and an untrusted vault applies only while this node holds it.
func (c *core) syncStep(now time.Time, msg any, v persist.View) (host.Output, bool) {
	switch m := msg.(type) {
	case messages.SyncSummary:
		return host.Output{Reply: c.summary(m)}, true
	case messages.SyncList:
		return host.Output{Reply: c.syncList(m, v)}, true
	case messages.SyncGet:
		if c.rc == nil && !c.untrusted() {
			return host.Output{Reply: errLocked}, true
		}
		return host.Output{Reply: c.syncGet(m, v)}, true
	case messages.SyncApply:
		if err := checkApply(m); err != nil {
			return host.Output{Reply: err}, true
		}
		if c.untrusted() {
			return c.applyUntrusted(now.UnixMilli(), m, v), true
		}
		if c.rc == nil {
			return host.Output{Reply: errLocked}, true
		}
		return c.applyTrusted(now, m, v), true
	}
	return host.Output{}, false
}

// summary answers the root from the cached summary: no read at all.
func (c *core) summary(m messages.SyncSummary) messages.VaultSummary {
	s := messages.VaultSummary{VaultID: c.id, Root: c.mk.root, Versions: c.usage.Versions, Pruned: c.usage.Pruned,
		Untrusted: c.untrusted(), Policy: c.syncPolicy()}
	if m.Buckets {
		s.Buckets = slices.Clone(c.mk.buckets[:])
	}
	return s
}

// syncList pages through the ver/ and pruned/ keys of the buckets asked for, merged in address
// order.
func (c *core) syncList(m messages.SyncList, v persist.View) any {
	limit := m.Limit
	if limit <= 0 || limit > messages.MaxSyncList {
		limit = messages.MaxSyncList
	}
	buckets := slices.Clone(m.Buckets)
	if len(buckets) == 0 {
		for b := range messages.SyncBuckets {
			buckets = append(buckets, byte(b))
		}
	}
	slices.Sort(buckets)
	buckets = slices.Compact(buckets)
	out := messages.SyncListing{}
	for _, b := range buckets {
		if !m.After.IsZero() && b < m.After[0] {
			continue
		}
		kept := c.scanAddrs(v, c.keys.versions(), c.keys.versionBucket(b), m.After, limit+1)
		pruned := c.scanAddrs(v, c.keys.prunedSet(), c.keys.prunedBucket(b), m.After, limit+1)
		for len(kept) > 0 || len(pruned) > 0 {
			if len(out.Addrs)+len(out.Pruned) == limit {
				out.More = true
				return out
			}
			if len(pruned) == 0 || len(kept) > 0 && bytes.Compare(kept[0][:], pruned[0][:]) < 0 {
				out.Addrs, out.Next, kept = append(out.Addrs, kept[0]), kept[0], kept[1:]
			} else {
				out.Pruned, out.Next, pruned = append(out.Pruned, pruned[0]), pruned[0], pruned[1:]
			}
		}
	}
	out.Next = messages.VersionAddr{}
	return out
}

// scanAddrs returns up to n addresses of the keys under prefix (a bucket of base), after the
// address after when it lies in that bucket.
func (c *core) scanAddrs(v persist.View, base, prefix string, after messages.VersionAddr, n int) []messages.VersionAddr {
	from := ""
	if !after.IsZero() && base+after.String() > prefix {
		from = base + after.String()
	}
	var out []messages.VersionAddr
	v.Scan(persist.Catalog, prefix, from, func(key string, _ []byte) bool {
		if a, ok := versionAddrOf(key[len(base):]); ok {
			out = append(out, a)
		}
		return len(out) < n
	})
	return out
}

// syncGet answers the sealed records asked for, verbatim, with their block lists: read from
// the record on a trusted vault, from blk/ on an untrusted one.
func (c *core) syncGet(m messages.SyncGet, v persist.View) any {
	if len(m.Addrs) > messages.MaxSyncGet {
		return messages.Invalid("addrs", "more than %d addresses", messages.MaxSyncGet)
	}
	out := messages.SyncRecords{Policy: c.syncPolicy()}
	size := 0
	tx := newTxn(v)
	seen := map[messages.VersionAddr]bool{}
	for _, a := range m.Addrs {
		if seen[a] {
			continue
		}
		seen[a] = true
		sealed, ok := v.Get(persist.Catalog, c.keys.version(a[:]))
		if !ok {
			out.Missing = append(out.Missing, a)
			continue
		}
		if size > 0 && size+len(sealed) > messages.MaxSyncBytes {
			out.Later = append(out.Later, a)
			continue
		}
		rec := messages.SyncRecord{Addr: a, Sealed: sealed}
		if c.untrusted() {
			raw, _ := v.Get(persist.Catalog, c.keys.blockList(a[:]))
			rec.Blocks = blockAddrs(raw)
		} else {
			ver, err := c.openVersion(tx, a[:])
			if err != nil {
				return err
			}
			for _, b := range ver.Blocks {
				rec.Blocks = append(rec.Blocks, messages.BlockAddr(b.Addr))
			}
		}
		size += len(sealed) + 32*len(rec.Blocks)
		out.Records = append(out.Records, rec)
	}
	return out
}

// blockAddrs splits a blk/ record: 32-byte block addresses, concatenated in order.
func blockAddrs(raw []byte) []messages.BlockAddr {
	out := make([]messages.BlockAddr, 0, len(raw)/32)
	for len(raw) >= 32 {
		out = append(out, messages.BlockAddr(raw[:32]))
		raw = raw[32:]
	}
	return out
}

// checkApply bounds a SyncApply and checks every record's address against its bytes: a peer
// that sends a record whose bytes do not hash to its address is not trusted for any of them.
func checkApply(m messages.SyncApply) error {
	switch {
	case len(m.Records) > messages.MaxSyncApply:
		return messages.Invalid("records", "more than %d records", messages.MaxSyncApply)
	case len(m.Pruned) > messages.MaxSyncPruned:
		return messages.Invalid("pruned", "more than %d addresses", messages.MaxSyncPruned)
	case m.Policy != nil && len(m.Policy.Sealed) > messages.MaxSyncRecordBytes:
		return messages.Invalid("policy", "larger than %d bytes", messages.MaxSyncRecordBytes)
	}
	for i, r := range m.Records {
		switch {
		case len(r.Sealed) > messages.MaxSyncRecordBytes:
			return messages.Invalid("records", "record %d (%s) is larger than %d bytes", i, r.Addr, messages.MaxSyncRecordBytes)
		case len(r.Blocks) > messages.MaxSyncRecordBlocks:
			return messages.Invalid("records", "record %d (%s) lists more than %d blocks", i, r.Addr, messages.MaxSyncRecordBlocks)
		case messages.VersionAddr(sha256.Sum256(r.Sealed)) != r.Addr:
			return messages.Invalid("records", "record %d: its bytes do not hash to its address %s", i, r.Addr)
		}
	}
	return nil
}

// syncedEvent reports an apply that changed something, once per apply.
func (ch *change) syncedEvent(a *messages.SyncApplied) {
	a.Learned = ch.learned
	if a.Added == 0 && a.Dropped == 0 && a.Learned == 0 && !a.Policy {
		return
	}
	ch.event("vault_synced", map[string]any{"vault_id": ch.c.id, "added": a.Added, "dropped": a.Dropped,
		"learned": a.Learned, "skipped": a.Skipped, "conflicts": a.Conflicts, "policy": a.Policy, "root": hexOf(a.Root[:])})
}
