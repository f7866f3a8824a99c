package vault

import (
	"fmt"
	"maps"
	"slices"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// applyUntrusted stores a peer's records on a vault this node holds without the key
// (docs/vault-sync.md § Untrusted): each record verbatim under ver/ with the block list the
// peer gave beside it under blk/, counted in ref/ so the collector keeps those blocks; the
// peer's pruned addresses are dropped and joined to the pruned set; the newer sealed policy is
// kept. Nothing is opened: no paths, no history, no plaintext.
func (c *core) applyUntrusted(ms int64, m messages.SyncApply, v persist.View) host.Output {
	if !c.meta.Hold {
		return host.Output{Reply: c.errNotHeld()}
	}
	ch := c.begin(v, ms)
	res := messages.SyncApplied{}
	if m.Policy != nil && m.Policy.Newer(c.spol) {
		ch.spol = &messages.SyncPolicy{Version: m.Policy.Version, Sealed: slices.Clone(m.Policy.Sealed)}
		ch.policy = &storev1.VaultPolicy{Version: m.Policy.Version}
		ch.tx.store(c.keys.sealedPolicy(), &storev1.SealedPolicy{Version: ch.spol.Version, Sealed: ch.spol.Sealed})
		res.Policy = true
	}
	dropping := map[messages.VersionAddr]bool{}
	for _, a := range m.Pruned {
		dropping[a] = true
	}
	for _, r := range m.Records {
		switch {
		case ch.hasVersion(r.Addr[:]):
			res.Present++
		case dropping[r.Addr] || ch.isPruned(r.Addr[:]):
			res.Skipped++
		default:
			ch.putVersion(r.Addr[:], r.Sealed)
			list := []byte{} // a tombstone's list is empty, but present
			for _, b := range r.Blocks {
				list = append(list, b[:]...)
				ch.addRef(b[:])
			}
			ch.tx.put(c.keys.blockList(r.Addr[:]), list)
			ch.usage.Versions++
			res.Added++
		}
	}
	for _, a := range slices.SortedFunc(maps.Keys(dropping), compareAddr) {
		if ch.hasVersion(a[:]) {
			raw, _ := ch.tx.get(c.keys.blockList(a[:]))
			for _, b := range blockAddrs(raw) {
				ch.dropRef(b[:])
			}
			ch.delVersion(a[:])
			ch.tx.del(c.keys.blockList(a[:]))
			ch.usage.Versions--
			res.Dropped++
		}
		ch.addPruned(a[:])
	}
	ch.updateMerkle()
	res.Root, res.Versions = ch.rootNow(), ch.usage.Versions
	ch.syncedEvent(&res)
	return ch.done(res)
}

// errNotHeld refuses records for an untrusted vault this node opted out of holding.
func (c *core) errNotHeld() error {
	return fmt.Errorf("%w: vault %s is untrusted here and this node does not hold it (observe it with hold)", messages.ErrForbidden, c.id)
}
