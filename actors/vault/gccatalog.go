package vault

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// GCCatalog answers the block collector's questions (blockgc.Catalog) from the vaults'
// committed records: a read model over every vault's `ref/` and `orphan/` keys, each question
// in a snapshot opened when it is asked. Forget is a write, so it asks the vault actor.
type GCCatalog struct {
	Store  persist.Store
	Root   *actor.RootContext
	Vaults *host.Manager
}

// vaultIDs lists every vault the registry has a record of, deleted ones included (their
// orphans still await collection).
func vaultIDs(v persist.View) []string {
	var ids []string
	v.Scan(persist.Vaults, "", "", func(k string, _ []byte) bool {
		ids = append(ids, k)
		return true
	})
	return ids
}

// Orphans calls fn for every recorded orphan of every vault.
func (g GCCatalog) Orphans(ctx context.Context, fn func(string, messages.BlockAddr, int64) bool) error {
	return persist.ReadWith(g.Store, func(v persist.View) error {
		for _, id := range vaultIDs(v) {
			k := catalogKeys(id)
			more := true
			v.Scan(persist.Catalog, k.orphans(), "", func(key string, val []byte) bool {
				addr, ok := parseAddr(strings.TrimPrefix(key, k.orphans()))
				if ok && len(val) == 8 {
					more = fn(id, addr, int64(binary.BigEndian.Uint64(val)))
				}
				return more && ctx.Err() == nil
			})
			if !more || ctx.Err() != nil {
				return ctx.Err()
			}
		}
		return nil
	})
}

// StillOrphan reports whether vault still records addr as an orphan with no references.
func (g GCCatalog) StillOrphan(vault string, addr messages.BlockAddr) (bool, error) {
	still := false
	err := persist.ReadWith(g.Store, func(v persist.View) error {
		k := catalogKeys(vault)
		_, orphan := v.Get(persist.Catalog, k.orphan(addr[:]))
		_, ref := v.Get(persist.Catalog, k.ref(addr[:]))
		still = orphan && !ref
		return nil
	})
	return still, err
}

// Referenced reports whether any vault references addr or still records it as an orphan.
func (g GCCatalog) Referenced(addr messages.BlockAddr) (bool, error) {
	found := false
	err := persist.ReadWith(g.Store, func(v persist.View) error {
		for _, id := range vaultIDs(v) {
			k := catalogKeys(id)
			_, ref := v.Get(persist.Catalog, k.ref(addr[:]))
			_, orphan := v.Get(persist.Catalog, k.orphan(addr[:]))
			if ref || orphan {
				found = true
				return nil
			}
		}
		return nil
	})
	return found, err
}

// Forget asks vault to drop the orphan records of blocks the collector deleted.
func (g GCCatalog) Forget(ctx context.Context, vault string, addrs []messages.BlockAddr) error {
	_, err := host.AskChild[messages.OrphansForgotten](ctx, g.Root, g.Vaults, vault, messages.ForgetOrphans{Addrs: addrs}, time.Minute)
	return err
}

func parseAddr(s string) (messages.BlockAddr, bool) {
	var a messages.BlockAddr
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(a) {
		return a, false
	}
	copy(a[:], b)
	return a, true
}
