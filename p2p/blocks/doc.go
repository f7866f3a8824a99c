// Package blocks moves ciphertext blocks between block stores over /meshhold/blocks/1.0:
// HAVE (which of these addresses do you hold), GET (stream these blocks to me) and PUT (take
// these blocks), one request per stream. It moves bytes; what to move, where and when is the
// replication actor's business (DESIGN.md: p2p moves bytes, actors decide).
//
// Every block is verified against its address on both ends: a server sends only what a
// verified read returned (a missing or damaged block is reported missing, never sent), and a
// receiver hashes each block as it lands and stores it only if it matches. Transfers are
// resumable — a broken stream loses at most the block in flight, and calling again fetches
// only what the store still lacks — and bounded: streams per peer and in all on the server
// (one more is answered busy), streams per Client, addresses per request, bytes per block
// frame and per put stream.
//
// Nothing here syncs a store: blocks written by Fetch (and by a served PUT) are as durable as
// any Put, and the committer makes them durable before it commits references to them.
//
// docs/blocks-protocol.md describes the frames, the limits and the measured throughput.
package blocks

import "github.com/meshhold/meshhold/p2p/wire"

// Protocol is the block protocol's id.
const Protocol = wire.Blocks

// Protocol limits.
const (
	// MaxBatch bounds the addresses of one request; a client splits longer lists.
	MaxBatch = 1024
	// MaxBlockSize bounds one block: the largest chunk (4 MiB) sealed (a 16-byte tag), with
	// room to spare. A larger block frame is a protocol error; a larger stored block is
	// never sent (reported missing).
	MaxBlockSize = 4<<20 + 1<<10
)
