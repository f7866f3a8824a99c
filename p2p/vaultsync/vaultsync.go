// Package vaultsync keeps a vault's catalog and blocks in step across the nodes that hold it:
// the /meshhold/catalog/1.0 protocol (Merkle summary, bucket listing, verbatim records) and a
// driver that pulls what a peer has and this node lacks — blocks first, then the records that
// reference them, so a node never holds a version without its blocks.
package vaultsync

import (
	"context"
	"errors"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/persist"
)

// Protocol is the catalog exchange's protocol id.
const Protocol = "/meshhold/catalog/1.0"

// Catalog is the local vault catalog as the sync needs it: the vault actor's sync commands
// (messages/vault_sync.go, docs/vault-sync.md), which the daemon forwards.
type Catalog interface {
	// Summary is the vault's Merkle summary with its bucket hashes; ErrNoVault when this node
	// does not hold it.
	Summary(ctx context.Context, vault string) (messages.VaultSummary, error)
	// List returns the retained and the pruned addresses in buckets, every page.
	List(ctx context.Context, vault string, buckets []byte) (addrs, pruned []messages.VersionAddr, err error)
	// Get returns the records of addrs this node retains (at most messages.MaxSyncGet).
	Get(ctx context.Context, vault string, addrs []messages.VersionAddr) (messages.SyncRecords, error)
	// Apply merges what a peer sent.
	Apply(ctx context.Context, vault string, a messages.SyncApply) (messages.SyncApplied, error)
}

// Fetcher moves blocks from peers into the local block store (p2p/blocks).
type Fetcher interface {
	// Fetch gets addrs from any of peers into the store; missing lists what no peer gave,
	// bytes the size of what arrived.
	Fetch(ctx context.Context, peers []p2p.PeerID, addrs []persist.Address) (missing []persist.Address, bytes int64, err error)
}

// ErrNoVault answers a peer that asks about a vault this node does not hold.
var ErrNoVault = errors.New("vaultsync: this node does not hold the vault")

// ErrHoldPaused ends a pull that would take this node past what it may store for the vault (an
// untrusted vault over the storage budget): not the peer's fault, so no backoff.
var ErrHoldPaused = errors.New("vaultsync: holding more of this vault is paused")

// MaxFrame bounds one answer frame: a get answer holds at most messages.MaxSyncBytes of sealed
// records (base64 in JSON) plus their block lists.
const MaxFrame = 32 << 20
