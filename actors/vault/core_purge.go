package vault

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// purgeBatch bounds the records one purge step deletes.
const purgeBatch = 1000

// startPurge answers PurgeVault: only a deleted vault is purged.
func (c *core) startPurge(now time.Time, v persist.View) host.Output {
	if c.meta == nil {
		return host.Output{Reply: messages.NotFound("vault")}
	}
	if !c.meta.Deleted {
		return host.Output{Reply: fmt.Errorf("%w: vault %s is not deleted", messages.ErrConflict, c.id)}
	}
	return c.purgeStep(now, v)
}

// purgeStep deletes the next batch of a deleted vault's catalog. Each block reference
// becomes an orphan record, stamped now, that the block collector takes from there.
func (c *core) purgeStep(now time.Time, v persist.View) host.Output {
	if c.meta == nil || !c.meta.Deleted {
		return host.Output{}
	}
	ms := uint64(now.UnixMilli())
	var writes []persist.Write
	visit := func(key string, _ []byte) bool {
		if strings.HasPrefix(key, c.keys.orphans()) {
			return false // the first range ends at the orphans
		}
		if addr, ok := strings.CutPrefix(key, c.keys.refs()); ok {
			writes = append(writes, persist.Write{Bucket: persist.Catalog, Key: c.keys.orphans() + addr, Value: binary.BigEndian.AppendUint64(nil, ms)})
		}
		writes = append(writes, persist.Write{Bucket: persist.Catalog, Key: key, Delete: true})
		return len(writes) < purgeBatch
	}
	v.Scan(persist.Catalog, c.keys.all(), "", visit)
	if len(writes) < purgeBatch {
		v.Scan(persist.Catalog, c.keys.all(), c.keys.orphans()+"\xff", visit)
	}
	more := len(writes) >= purgeBatch
	slices.SortStableFunc(writes, func(a, b persist.Write) int { return strings.Compare(a.Key, b.Key) })
	out := host.Output{Writes: writes, Reply: messages.VaultPurge{Done: !more}}
	switch {
	case more:
		out.Timers = []host.Timer{{Key: timerPurge, At: now}}
	case len(writes) > 0:
		out.Events = []host.Event{{Type: "vault_purged", Data: map[string]any{"vault_id": c.id}}}
	}
	return out
}

// forgetOrphans drops the orphan records of collected blocks that no version references again.
func (c *core) forgetOrphans(m messages.ForgetOrphans, v persist.View) host.Output {
	if c.meta == nil {
		return host.Output{Reply: messages.NotFound("vault")}
	}
	addrs := slices.Clone(m.Addrs)
	slices.SortFunc(addrs, func(a, b messages.BlockAddr) int { return bytes.Compare(a[:], b[:]) })
	addrs = slices.Compact(addrs)
	var writes []persist.Write
	for _, a := range addrs {
		if _, referenced := v.Get(persist.Catalog, c.keys.ref(a[:])); referenced {
			continue
		}
		if _, orphan := v.Get(persist.Catalog, c.keys.orphan(a[:])); orphan {
			writes = append(writes, persist.Write{Bucket: persist.Catalog, Key: c.keys.orphan(a[:]), Delete: true})
		}
	}
	return host.Output{Writes: writes, Reply: messages.OrphansForgotten{Count: len(writes)}}
}
