package files

import (
	"context"
	"sync"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/blockgc"
)

// Reclaimer deletes the blocks of an upload that failed for certain; *blockgc.Collector is one.
type Reclaimer interface {
	Reclaim(ctx context.Context, addrs []messages.BlockAddr) blockgc.Stats
}

// Upload is an ingested body whose blocks are stored (not yet durable: the committer syncs
// them) and pinned. End it exactly once: Done after the commit succeeded or was refused,
// Abort when it certainly never committed, Linger when its outcome is unknown.
type Upload struct {
	Manifest messages.Manifest
	Written  []messages.BlockAddr // blocks this upload created; the others it matched
	Head     []byte               // the first ≤ 512 plaintext bytes, for content sniffing

	pins    *blockgc.Pins
	pinned  []messages.BlockAddr
	reclaim Reclaimer
	once    sync.Once
}

// Done releases the upload's pins: its version is committed (the references keep the blocks)
// or was refused (the sweep reclaims what nothing references after the grace period).
func (u *Upload) Done() { u.once.Do(u.unpin) }

// Abort releases the pins and deletes at once the blocks this upload wrote that nothing else
// pinned or references. Only when the commit certainly did not happen.
func (u *Upload) Abort() {
	u.once.Do(func() {
		u.unpin()
		if u.reclaim != nil && len(u.Written) > 0 {
			u.reclaim.Reclaim(context.Background(), u.Written)
		}
	})
}

// Linger keeps the pins for d more, then releases them: for a commit whose outcome is unknown
// (its ask timed out), so the blocks outlive any commit still in flight.
func (u *Upload) Linger(d time.Duration) {
	u.once.Do(func() { time.AfterFunc(d, u.unpin) })
}

func (u *Upload) unpin() {
	for _, a := range u.pinned {
		u.pins.Unpin(a)
	}
}
