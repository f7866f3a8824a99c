package blockgc

import (
	"context"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// Catalog answers the collector's questions from the vaults' records (the catalog's
// `ref/<addr>` counts and `orphan/<addr>` times). StillOrphan and Referenced must each read a
// snapshot opened when they are called — never one opened before — because the collector asks
// them under the pin lock, after the last moment an upload could have committed unseen.
type Catalog interface {
	// Orphans calls fn for every recorded orphan, ordered by vault then address (bbolt key
	// order: `vault/<id>/orphan/<hex>`): the vault, the block, and the ms when its count fell
	// to zero. fn returns false to stop early.
	Orphans(ctx context.Context, fn func(vault string, addr messages.BlockAddr, sinceMs int64) bool) error
	// StillOrphan reports whether addr is still unreferenced in vault.
	StillOrphan(vault string, addr messages.BlockAddr) (bool, error)
	// Referenced reports whether any vault references addr or records it as an orphan.
	Referenced(addr messages.BlockAddr) (bool, error)
	// Forget drops the orphan records of blocks the collector deleted (a write: an ask to the
	// vault actor). A failure only means the next run looks at them again.
	Forget(ctx context.Context, vault string, addrs []messages.BlockAddr) error
}

// Store is the block store as the collector needs it; *blockstore.Store implements it.
type Store interface {
	persist.BlockStore
	// Walk lists every block file with its modification time, in ascending address order.
	Walk(fn func(a persist.Address, modTime time.Time) error) error
	// ModTime is a block file's modification time (ok false when absent).
	ModTime(a persist.Address) (mod time.Time, ok bool, err error)
}
