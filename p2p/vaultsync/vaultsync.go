// Package vaultsync keeps a vault's catalog and blocks in step across the nodes that hold it:
// the /meshhold/catalog/1.0 protocol (Merkle summary, bucket listing, verbatim records) and a
// driver that pulls what a peer has and this node lacks — blocks first, then the records that
// reference them, so a node never holds a version without its blocks.
package vaultsync

import (
	"context"
	"errors"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/persist"
)

// Protocol is the catalog exchange's protocol id.
const Protocol = "/meshhold/catalog/1.0"

// Buckets is the number of Merkle buckets: version addresses split by their first byte.
const Buckets = 256

// Summary is a vault's Merkle summary: equal roots mean equal sets of retained versions.
type Summary struct {
	Root     [32]byte   `json:"root"`
	Buckets  [][32]byte `json:"buckets"` // Buckets entries, by first address byte
	Versions int        `json:"versions"`
}

// Record is one version record as it travels: its address, its sealed bytes (verbatim; the
// receiver checks Addr = SHA-256(Sealed)) and the blocks it references (so a node without the
// key can hold them).
type Record struct {
	Addr   [32]byte          `json:"addr"`
	Sealed []byte            `json:"sealed"`
	Blocks []persist.Address `json:"blocks"`
}

// Applied is what applying records did.
type Applied struct {
	Added, Skipped int
}

// Catalog is the local vault catalog as the sync needs it; the daemon implements it with the
// vault actor's sync commands.
type Catalog interface {
	// Summary is the vault's Merkle summary; ErrNoVault when this node does not hold it.
	Summary(ctx context.Context, vault string) (Summary, error)
	// List returns the version addresses in the given buckets.
	List(ctx context.Context, vault string, buckets []byte) ([][32]byte, error)
	// Get returns the records of addrs this node has (others are left out).
	Get(ctx context.Context, vault string, addrs [][32]byte) ([]Record, error)
	// Apply merges records received from a peer.
	Apply(ctx context.Context, vault string, recs []Record) (Applied, error)
}

// Fetcher moves blocks from peers into the local block store (p2p/blocks).
type Fetcher interface {
	// Fetch gets addrs from any of peers into the store; missing lists what no peer gave.
	Fetch(ctx context.Context, peers []p2p.PeerID, addrs []persist.Address) (missing []persist.Address, err error)
}

// ErrNoVault answers a peer that asks about a vault this node does not hold.
var ErrNoVault = errors.New("vaultsync: this node does not hold the vault")

// Limits of one exchange.
const (
	// MaxAddrs bounds the addresses of one list answer or get request.
	MaxAddrs = 4096
	// MaxFrame bounds one frame (a get answer of records); records are small (a few KiB).
	MaxFrame = 16 << 20
)
